#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Build, test, publish and smoke-test the camera appliance service.

.DESCRIPTION
    On a fresh machine with only the .NET SDK:
        dotnet tool restore && dotnet pwsh ./build.ps1 <task> [options]

    Run `dotnet pwsh ./build.ps1 help` for the task list.

.EXAMPLE
    dotnet pwsh ./build.ps1 test
    dotnet pwsh ./build.ps1 publish -Rid linux-arm64
    dotnet pwsh ./build.ps1 smoke -NoPublish
    dotnet pwsh ./build.ps1 bench --scenarios ping --duration-seconds 30
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    # The task to run (see `help`).
    [Parameter(Position = 0)][string]$Task = 'build',
    # Runtime identifier for publish/smoke.
    [ValidateSet('linux-x64', 'linux-arm64')][string]$Rid = 'linux-x64',
    # Build configuration for build/test (publish is always Release).
    [ValidateSet('Debug', 'Release')][string]$Configuration = 'Release',
    # smoke: test the binary already in artifacts/publish/linux-arm64 instead of publishing first.
    [switch]$NoPublish,
    # image/bundle: the board (a folder of board/ with a board.toml).
    [string]$Board = 'rpi4',
    # image/bundle: the production keyring (CA certificate) to install as /etc/rauc/keyring.pem.
    [string]$Keyring = '',
    # image/bundle without -Keyring: install the development certificate instead (never for devices in the field).
    # Without either, image/bundle refuse: an image must not trust the dev key by accident.
    [switch]$DevelopmentKeyring,
    # bundle: the production signing certificate and key (with -Keyring); default: the dev certificate made at build time.
    [string]$SigningCert = '',
    [string]$SigningKey = '',
    # run: a real MediaMTX binary to use instead of the development stand-in (default: `mediamtx` on PATH, if any).
    [string]$MediaMtx = '',
    # bench: any further arguments are passed to the load client.
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$PassThru = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
# Safety net: a native command that exits non-zero throws, even where Exec is not used.
$PSNativeCommandUseErrorActionPreference = $true
# CI logs: no ANSI colour codes when the output is not a terminal.
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }

# Debian packages the build and the tests need. Arch-qualified names (name:arm64) make `deps`
# enable that foreign architecture first (dpkg --add-architecture). Later work adds here.
$AptPackages = @(
    # Native AOT toolchain (linker, objcopy) and zlib for the x64 build.
    'clang', 'lld', 'llvm', 'zlib1g-dev',
    # Runs the arm64 binary in `smoke`; ffmpeg feeds the virtual test cameras.
    'qemu-user-static', 'ffmpeg',
    # arm64 cross build: target libraries from Debian multiarch (/usr/lib/aarch64-linux-gnu).
    'libc6-dev:arm64', 'libgcc-12-dev:arm64', 'zlib1g-dev:arm64',
    # V4L2 layout test: compiles a C program against linux/videodev2.h for x86-64 and ARM64.
    'gcc', 'gcc-aarch64-linux-gnu',
    # VM tests (tests/vm/run-in-vm.sh): QEMU, a busybox initramfs, and the headers to build gpio-sim
    # for Debian's kernel (the exact linux-headers-<version> is checked by vm-test).
    'qemu-system-x86', 'busybox-static', 'cpio', 'kmod', 'make', 'linux-headers-amd64',
    # v4l2-ctl: the VM tests compare what the service enumerates with the kernel's own listing.
    'v4l-utils',
    # MediaMTX stand-in's RTSP relay (tests/media/rtsp-relay.py, run with /usr/bin/python3).
    'python3-gst-1.0', 'gir1.2-gst-rtsp-server-1.0',
    'gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad',
    # GPIO: System.Device.Gpio's LibGpiodDriver loads libgpiod.so.2 (the host tests and, through the
    # shared root, the gpio-sim tests in the VM).
    'libgpiod2',
    # Packaging: systemd-analyze verify/security on the unit files (tests/Appliance.Tests/Packaging);
    # `bundle`: RAUC (rauc bundle / rauc info) with squashfs-tools, and openssl for the dev signing cert.
    'systemd', 'rauc', 'squashfs-tools', 'openssl',
    # Browser tests of the web console (tests/browser): Debian's Chromium driven by playwright-core under
    # Node.js. npm comes with the machine's Node.js (NodeSource bundles it); Invoke-BrowserTest installs
    # Debian's npm only where the npm command is missing, since that package would replace such a Node.js.
    'chromium', 'nodejs'
)

$Root = $PSScriptRoot
$Solution = Join-Path $Root 'Appliance.sln'
$ServiceProject = Join-Path $Root 'src/Appliance/Appliance.csproj'
$DevConfig = Join-Path $Root 'src/Appliance/appliance.development.toml'
$Artifacts = Join-Path $Root 'artifacts'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

function Write-Step([string]$Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

# Runs a script block of native commands (echoed first); throws if the last one exits non-zero.
#   Exec { dotnet build $Solution -c $Configuration }
function Exec([Parameter(Mandatory)][scriptblock]$Block) {
    $text = $Block.ToString().Trim()
    try { $text = $ExecutionContext.InvokeCommand.ExpandString($text) } catch { } # show values, not $names
    Write-Host "> $text" -ForegroundColor DarkGray
    $PSNativeCommandUseErrorActionPreference = $false # checked right below, with a clearer message
    $global:LASTEXITCODE = 0
    & $Block
    if ($LASTEXITCODE -ne 0) { throw "'$text' failed with exit code $LASTEXITCODE" }
}

# Starts a program with redirected output and waits for it; returns ExitCode, StdOut, StdErr.
# The caller checks the exit code (some checks expect a failure).
function Invoke-Captured {
    param([string]$FileName, [string[]]$Arguments, [int]$TimeoutSeconds = 120)
    $process = Start-Redirected $FileName $Arguments
    try {
        if (-not $process.Handle.WaitForExit($TimeoutSeconds * 1000)) {
            throw "'$FileName $($Arguments -join ' ')' did not finish within $TimeoutSeconds s"
        }
    }
    finally { Stop-Redirected $process }
    [pscustomobject]@{ ExitCode = $process.Handle.ExitCode; StdOut = $process.StdOut(); StdErr = $process.StdErr() }
}

# Starts a program in the background, collecting its stdout and stderr.
function Start-Redirected([string]$FileName, [string[]]$Arguments) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($FileName)
    foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.RedirectStandardInput = $true # the child must not read the caller's stdin
    $info.UseShellExecute = $false
    $info.WorkingDirectory = $Root
    # Only the config file decides: no APPLIANCE_* overrides or systemd sockets from the caller.
    foreach ($name in @($info.Environment.Keys | Where-Object { $_ -like 'APPLIANCE_*' -or $_ -in 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID' })) {
        [void]$info.Environment.Remove($name)
    }
    Write-Host "> $FileName $($Arguments -join ' ')" -ForegroundColor DarkGray
    $p = [System.Diagnostics.Process]::Start($info)
    $p.StandardInput.Close()
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    [pscustomobject]@{ Handle = $p; OutTask = $out; ErrTask = $err } |
        Add-Member -PassThru ScriptMethod StdOut { if ($this.OutTask.Wait(5000)) { $this.OutTask.Result } else { '(stdout not closed)' } } |
        Add-Member -PassThru ScriptMethod StdErr { if ($this.ErrTask.Wait(5000)) { $this.ErrTask.Result } else { '(stderr not closed)' } }
}

# Kills the process (and its children) if it is still running.
function Stop-Redirected($Process) {
    if ($null -ne $Process -and -not $Process.Handle.HasExited) {
        $Process.Handle.Kill($true)
        [void]$Process.Handle.WaitForExit(10000)
    }
}

# True when a Debian package is installed (for unqualified Multi-Arch packages installed for
# two architectures `dpkg -s name` is ambiguous, so the native architecture is tried as well).
function Test-AptPackage([string]$Name) {
    $PSNativeCommandUseErrorActionPreference = $false # non-zero just means "not installed"
    $candidates = @($Name)
    if ($Name -notmatch ':') { $candidates += "${Name}:$(dpkg --print-architecture)" }
    foreach ($c in $candidates) {
        $status = dpkg -s $c 2>$null | Select-String -Pattern '^Status: ' -Raw
        if ($status -match 'install ok installed') { return $true }
    }
    $false
}

# Runs a command line (an array) as root: directly when we are root, through sudo otherwise.
function Invoke-AsRoot([string[]]$CommandLine) {
    if ((id -u) -ne '0') { $CommandLine = @('sudo', 'env', 'DEBIAN_FRONTEND=noninteractive') + $CommandLine }
    Write-Host "> $($CommandLine -join ' ')" -ForegroundColor DarkGray
    $PSNativeCommandUseErrorActionPreference = $false
    & $CommandLine[0] @($CommandLine | Select-Object -Skip 1)
    if ($LASTEXITCODE -ne 0) { throw "'$($CommandLine -join ' ')' failed with exit code $LASTEXITCODE" }
}

function Get-GitRevision {
    $PSNativeCommandUseErrorActionPreference = $false
    $rev = git -C $Root rev-parse --short HEAD 2>$null
    if ($LASTEXITCODE -eq 0 -and $rev) { "$rev".Trim() } else { 'unknown' }
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# The cross-compile properties for a RID (arm64 links against Debian multiarch libs in /usr/lib/aarch64-linux-gnu,
# hence SysRoot=/; /usr/aarch64-linux-gnu as the sysroot fails to link).
function Get-CrossProperties([string]$TargetRid) {
    if ($TargetRid -ne 'linux-arm64') { return @() }
    @('-p:CppCompilerAndLinker=clang', '-p:SysRoot=/', '-p:LinkerFlavor=lld', '-p:ObjCopyName=llvm-objcopy-14')
}

function Get-BinaryPath([string]$TargetRid) { Join-Path $Artifacts "publish/$TargetRid/appliance" }
function Get-FloorBinaryPath { Join-Path $Artifacts 'publish/floor-linux-x64/appliance-floor' }

# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------

# deps: install the missing Debian packages from $AptPackages (apt-get update once, only if needed).
$script:DepsDone = $false
function Invoke-Deps {
    if ($script:DepsDone) { return }
    Write-Step 'deps: checking Debian packages'
    $missing = @($AptPackages | Where-Object { -not (Test-AptPackage $_) })
    if ($missing.Count -eq 0) {
        Write-Host "All $($AptPackages.Count) packages are installed."
        $script:DepsDone = $true
        return
    }
    Write-Host "Missing: $($missing -join ' ')"
    $native = dpkg --print-architecture
    $foreign = @(dpkg --print-foreign-architectures)
    $needed = $missing | ForEach-Object { if ($_ -match ':(.+)$') { $Matches[1] } } |
        Where-Object { $_ -ne $native -and $_ -notin $foreign } | Select-Object -Unique
    foreach ($arch in $needed) { Invoke-AsRoot @('dpkg', '--add-architecture', $arch) }
    $env:DEBIAN_FRONTEND = 'noninteractive'
    $apt = @('apt-get', '-o', 'DPkg::Lock::Timeout=600') # wait for a concurrent apt instead of failing
    Invoke-AsRoot ($apt + 'update')
    Invoke-AsRoot ($apt + @('install', '-y', '--no-install-recommends') + $missing)
    $still = @($missing | Where-Object { -not (Test-AptPackage $_) })
    if ($still.Count -gt 0) { throw "deps: still not installed after apt-get install: $($still -join ' ')" }
    $script:DepsDone = $true
}

# build: compile the solution (service and tests).
function Invoke-Build {
    Write-Step "build ($Configuration)"
    Exec { dotnet build $Solution -c $Configuration -tl:off }
}

# test: install what the tests need, run every test project, print a pass/fail summary.
$script:TestSummary = $null
function Invoke-Test {
    Invoke-Deps
    Write-Step "test ($Configuration)"
    $results = Join-Path $Artifacts 'test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    $failure = $null
    try {
        # Host tests first; the "Vm" category needs real V4L2/GPIO devices and runs in the VM below.
        Exec { dotnet test $Solution -c $Configuration -tl:off --filter 'Category!=Vm' --logger 'console;verbosity=normal' --logger trx --results-directory $results }
    }
    catch { $failure = $_ }
    if (-not $failure) {
        # The host tests built src/Appliance and the stand-in in Release already; the page needs both.
        try { Invoke-BrowserTest -SkipBuild:($Configuration -eq 'Release') -ResultsDirectory (Join-Path $results 'browser') }
        catch { $failure = $_ }
    }
    if (-not $failure) {
        try { Invoke-VmTest -SkipBuild -ResultsDirectory (Join-Path $results 'vm') }
        catch { $failure = $_ }
    }
    # One closing line over all test projects, from their TRX files and the browser suite's JUnit file.
    $counts = @{ passed = 0; failed = 0; skipped = 0; total = 0 }
    foreach ($junit in Get-ChildItem -Path $results -Filter junit.xml -Recurse -ErrorAction SilentlyContinue) {
        $cases = @(([xml](Get-Content -Raw $junit.FullName)).SelectNodes('//testcase'))
        $bad = @($cases | Where-Object { $_.SelectSingleNode('failure|error') }).Count
        $skip = @($cases | Where-Object { $_.SelectSingleNode('skipped') }).Count
        $counts.failed += $bad
        $counts.passed += $cases.Count - $bad - $skip
        $counts.total += $cases.Count
    }
    foreach ($trx in Get-ChildItem -Path $results -Filter *.trx -Recurse -ErrorAction SilentlyContinue) {
        $c = ([xml](Get-Content -Raw $trx.FullName)).TestRun.ResultSummary.Counters
        $n = { param($name) [int]('0' + $c.GetAttribute($name)) }
        $counts.passed += & $n 'passed'
        $counts.failed += (& $n 'failed') + (& $n 'error') + (& $n 'timeout') + (& $n 'aborted')
        $counts.total += & $n 'total'
    }
    $counts.skipped = [Math]::Max(0, $counts.total - $counts.passed - $counts.failed)
    $script:TestSummary = "tests: $($counts.passed) passed, $($counts.failed) failed, $($counts.skipped) skipped"
    Write-Host $script:TestSummary
    if ($failure) { throw $failure }
    if ($counts.total -eq 0) { Write-Warning 'test: no test was executed' }
}

# vm-test: the tests that need real kernel devices (category "Vm": vivid cameras, gpio-sim lines),
# run inside a QEMU VM booting Debian's own kernel (tests/vm/run-in-vm.sh). Part of `test` and CI.
function Invoke-VmTest([switch]$SkipBuild, [string]$ResultsDirectory = (Join-Path $Artifacts 'test-results/vm')) {
    Invoke-Deps
    Write-Step 'vm-test (QEMU, Debian kernel with vivid + gpio-sim)'
    if (-not (Get-Command qemu-system-x86_64 -ErrorAction SilentlyContinue)) {
        throw 'vm-test: qemu-system-x86_64 is NOT available, so the V4L2/GPIO tests on a real kernel cannot run. Install qemu-system-x86 (build.ps1 deps).'
    }
    # gpio-sim is built against the headers of exactly the kernel the VM boots.
    $kver = (apt-cache depends linux-image-amd64 | Select-String 'Depends: linux-image-(\S+)' | Select-Object -First 1).Matches.Groups[1].Value
    if (-not $kver) { throw 'vm-test: cannot tell Debian''s kernel version (apt-cache depends linux-image-amd64)' }
    if (-not (Test-AptPackage "linux-headers-$kver")) {
        Invoke-AsRoot @('apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', "linux-headers-$kver")
    }
    if (-not $SkipBuild) { Exec { dotnet build (Join-Path $Root 'tests/Appliance.Tests') -c $Configuration -tl:off } }
    $dll = "tests/Appliance.Tests/bin/$Configuration/net10.0/Appliance.Tests.dll"
    $relativeResults = [System.IO.Path]::GetRelativePath($Root, $ResultsDirectory)
    # Two boots: the Vm tests with the default two vivid cameras, then the scale test (category VmScale:
    # eight cameras recording at once) with vivid n_devs=8, which the other tests' device counts would not fit.
    $boots = @(
        @{ Name = 'vivid n_devs=2'; Filter = 'Category=Vm&Category!=VmQuarantine&Category!=VmScale'; Vivid = $null },
        @{ Name = 'vivid n_devs=8'; Filter = 'Category=VmScale&Category!=VmQuarantine'; Vivid = 'n_devs=8 node_types=0x1,0x1,0x1,0x1,0x1,0x1,0x1,0x1' })
    foreach ($boot in $boots) {
        $command = "dotnet test $dll --filter `"$($boot.Filter)`" --logger trx --results-directory $relativeResults"
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        if ($boot.Vivid) { $env:VIVID_PARAMS = $boot.Vivid }
        try { Exec { bash (Join-Path $Root 'tests/vm/run-in-vm.sh') $Root $command } }
        finally { Remove-Item Env:VIVID_PARAMS -ErrorAction SilentlyContinue }
        Write-Host ("vm-test boot ({0}) took {1:mm\:ss}" -f $boot.Name, $watch.Elapsed)
        # run-in-vm.sh starts each boot with an empty measurements file: print this boot's now.
        $measurements = Join-Path $Artifacts 'vm/measurements.txt'
        if (Test-Path $measurements) {
            Write-Host "vm-test measurements, $($boot.Name) (see docs/benchmarks.md):"
            Get-Content $measurements | ForEach-Object { Write-Host "  $_" }
        }
    }
}

# browser-test: the web console in Debian's Chromium (headless) against the real service, a virtual
# camera and the MediaMTX stand-in (tests/browser: node:test + playwright-core). Screenshots and the
# console's size and time-to-interactive go to artifacts/browser/; JUnit results to $ResultsDirectory.
function Invoke-BrowserTest([switch]$SkipBuild, [string]$ResultsDirectory = (Join-Path $Artifacts 'test-results/browser')) {
    Invoke-Deps
    Write-Step 'browser-test (Chromium, playwright-core, the real service + MediaMTX stand-in)'
    if (-not (Get-Command npm -ErrorAction SilentlyContinue)) {
        Invoke-AsRoot @('apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'npm')
    }
    # playwright-core (tests/browser/package.json) needs Node.js 20 or later; Debian 12's own nodejs is 18.
    $nodeMajor = [int]((node --version) -replace '^v(\d+)\..*$', '$1')
    if ($nodeMajor -lt 20) { throw "browser-test: Node.js $(node --version) is too old: playwright-core needs Node.js 20 or later (NodeSource's nodejs 20 for Debian, or Debian 13's own)" }
    $dir = Join-Path $Root 'tests/browser'
    # npm ci when node_modules is missing or older than the committed lock file (npm stamps its own copy).
    $installed = Join-Path $dir 'node_modules/.package-lock.json'
    if (-not (Test-Path -PathType Leaf $installed) -or (Get-Item -Force $installed).LastWriteTimeUtc -lt (Get-Item (Join-Path $dir 'package-lock.json')).LastWriteTimeUtc) {
        Exec { npm ci --prefix $dir --no-audit --no-fund }
    }
    if (-not $SkipBuild) {
        Exec { dotnet build $ServiceProject -c Release -tl:off }
        Exec { dotnet build (Join-Path $Root 'tests/Appliance.MediaMtxStandIn') -c Release -tl:off }
    }
    New-Item -ItemType Directory -Force $ResultsDirectory | Out-Null
    $junit = Join-Path $ResultsDirectory 'junit.xml'
    Push-Location $dir
    try {
        Exec { node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=$junit console.test.js }
    }
    finally { Pop-Location }
    $measurements = Join-Path $Artifacts 'browser/measurements.txt'
    if (Test-Path $measurements) {
        Write-Host 'browser-test measurements (see docs/benchmarks.md):'
        Get-Content $measurements | ForEach-Object { Write-Host "  $_" }
    }
}

# run: the whole development chain on 127.0.0.1, so a newcomer sees live video within a minute:
# a media server (a real MediaMTX when -MediaMtx or `mediamtx` on PATH, else the project's stand-in:
# RTSP relay + HLS, no WebRTC), then the service with the development config (its virtual camera,
# info-level logs). Prints the console URL and a ready login; Ctrl+C stops everything.
function Invoke-Run {
    Write-Step 'run (development chain)'
    $config = (Resolve-Path $DevConfig).Path # relative paths in it are relative to the file
    $devData = Join-Path $Root '.dev-data'
    New-Item -ItemType Directory -Force -Path $devData | Out-Null
    # The ports the development config names (src/Appliance/appliance.development.toml).
    $ports = [ordered]@{ 'service API' = 8002; 'auth hook' = 9996; 'MediaMTX API' = 9997; 'RTSP' = 8554; 'HLS' = 8888 }
    foreach ($p in $ports.GetEnumerator()) {
        if (Test-TcpPortBusy $p.Value) { throw "port $($p.Value) ($($p.Key)) is already in use on 127.0.0.1: stop whatever holds it (an earlier run? ss -ltnp 'sport = :$($p.Value)') and try again" }
    }

    $mediaMtxPath = if ($MediaMtx) { (Resolve-Path $MediaMtx).Path } else { @(Get-Command mediamtx -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1 | ForEach-Object Source) | Select-Object -First 1 }
    Exec { dotnet build $ServiceProject -c $Configuration -tl:off -v:q -nologo }
    $serviceDll = Join-Path $Root "src/Appliance/bin/$Configuration/net10.0/appliance.dll"
    if (-not $mediaMtxPath) {
        Exec { dotnet build (Join-Path $Root 'tests/Appliance.MediaMtxStandIn') -c $Configuration -tl:off -v:q -nologo }
    }

    $hook = 'http://127.0.0.1:9996/mediamtx/auth'
    $media = $null; $service = $null
    try {
        if ($mediaMtxPath) {
            $version = "$(& $mediaMtxPath --version 2>&1)".Trim()
            $yml = Join-Path $devData 'mediamtx.yml'
            Set-Content -Path $yml -Value (New-DevMediaMtxConfig $hook)
            $label = "MediaMTX $version ($mediaMtxPath, config $yml)"
            $media = Start-Foreground $mediaMtxPath @($yml)
        }
        else {
            $label = 'development stand-in (not MediaMTX): RTSP relay + HLS, no WebRTC'
            $standIn = Join-Path $Root "tests/Appliance.MediaMtxStandIn/bin/$Configuration/net10.0/mediamtx-standin.dll"
            $media = Start-Foreground 'dotnet' @($standIn, '--relay', '--api-port', '9997', '--rtsp-port', '8554', '--hls-port', '8888', '--auth-http-address', $hook)
        }
        Write-Host "media server: $label" -ForegroundColor Green
        Wait-TcpPort 9997 30 $media 'the media server API'

        # A ready login, minted by the service's own CLI with the development secret.
        $token = "$(& dotnet $serviceDll --config $config --mint-jwt admin --user developer)".Trim()
        if ($LASTEXITCODE -ne 0 -or -not $token) { throw "could not mint a development token (appliance --mint-jwt admin)" }

        $service = Start-Foreground 'dotnet' @($serviceDll, '--config', $config)
        Wait-Http 'http://127.0.0.1:8002/health/ready' 60 $service
        Write-Host ''
        Write-Host '==================================================================================' -ForegroundColor Green
        Write-Host "  console:      http://127.0.0.1:8002/" -ForegroundColor Green
        Write-Host "  login token:  $token" -ForegroundColor Green
        Write-Host "                (JWT, role admin, user developer; paste it into the console's login)" -ForegroundColor Green
        Write-Host "  media server: $label" -ForegroundColor Green
        Write-Host "  live (HLS):   http://127.0.0.1:8888/virtual0/index.m3u8?token=<token>" -ForegroundColor Green
        Write-Host "  live (RTSP):  ffplay 'rtsp://127.0.0.1:8554/virtual0?token=<token>'" -ForegroundColor Green
        Write-Host "  health:       curl -s http://127.0.0.1:8002/health/ready" -ForegroundColor Green
        Write-Host '  Ctrl+C stops the service and the media server.' -ForegroundColor Green
        Write-Host '==================================================================================' -ForegroundColor Green
        while (-not $service.HasExited -and -not $media.HasExited) { Start-Sleep -Milliseconds 300 }
        if ($service.HasExited) { throw "the service exited (code $($service.ExitCode))" }
        throw "the media server exited (code $($media.ExitCode))"
    }
    finally {
        # Service first (it finalises recordings and stops its FFmpeg children), then the media server
        # (it stops its runOnDemand publishers, HLS muxers and the relay). SIGTERM, then SIGKILL.
        Stop-Gracefully $service 'service'
        Stop-Gracefully $media 'media server'
    }
}

# A MediaMTX config for the development chain: the reference default (tests/reference/mediamtx/mediamtx.yml)
# with only what differs — loopback addresses, HTTP auth against the service's hook, the API on.
function New-DevMediaMtxConfig([string]$Hook) {
    @"
# Written by build.ps1 run (development only). MediaMTX's defaults apply to every key not named here.
logLevel: info
authMethod: http
authHTTPAddress: $Hook
authHTTPExclude: []
api: true
apiAddress: 127.0.0.1:9997
rtspAddress: 127.0.0.1:8554
rtspTransports: [tcp]
rtmp: false
srt: false
hlsAddress: 127.0.0.1:8888
webrtcAddress: 127.0.0.1:8889
paths:
  all_others:
"@
}

# Starts a program sharing this console (its output shows as it comes; Ctrl+C reaches it too).
function Start-Foreground([string]$FileName, [string[]]$Arguments) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($FileName)
    foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
    $info.UseShellExecute = $false
    $info.WorkingDirectory = $Root
    foreach ($name in @($info.Environment.Keys | Where-Object { $_ -like 'APPLIANCE_*' -or $_ -in 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID' })) {
        [void]$info.Environment.Remove($name)
    }
    Write-Host "> $FileName $($Arguments -join ' ')" -ForegroundColor DarkGray
    [System.Diagnostics.Process]::Start($info)
}

function Stop-Gracefully($Process, [string]$What) {
    if ($null -eq $Process -or $Process.HasExited) { return }
    $PSNativeCommandUseErrorActionPreference = $false
    & kill -s TERM $Process.Id 2>$null
    if (-not $Process.WaitForExit(20000)) {
        Write-Host "$What did not stop within 20 s of SIGTERM: killing it" -ForegroundColor Yellow
        $Process.Kill($true)
        [void]$Process.WaitForExit(5000)
    }
    Write-Host "$What stopped" -ForegroundColor DarkGray
}

function Test-TcpPortBusy([int]$Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try { $client.ConnectAsync([System.Net.IPAddress]::Loopback, $Port).Wait(300) -and $client.Connected }
    catch { $false }
    finally { $client.Dispose() }
}

function Wait-TcpPort([int]$Port, [int]$Seconds, $Process, [string]$What) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (Test-TcpPortBusy $Port)) {
        if ($Process.HasExited) { throw "$What exited (code $($Process.ExitCode)) before listening on port $Port" }
        if ([DateTime]::UtcNow -gt $deadline) { throw "$What is not listening on port $Port after $Seconds s" }
        Start-Sleep -Milliseconds 200
    }
}

function Wait-Http([string]$Url, [int]$Seconds, $Process) {
    $ProgressPreference = 'SilentlyContinue' # no progress bar over the service's log
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while ($true) {
        if ($Process.HasExited) { throw "the service exited (code $($Process.ExitCode)) before $Url answered" }
        try { if ((Invoke-WebRequest $Url -NoProxy -SkipHttpErrorCheck -TimeoutSec 5).StatusCode -eq 200) { return } } catch { }
        if ([DateTime]::UtcNow -gt $deadline) { throw "$Url did not answer 200 within $Seconds s" }
        Start-Sleep -Milliseconds 500
    }
}

# publish: Native AOT binary for $Rid into artifacts/publish/<rid>; any warning fails the task.
function Invoke-Publish([string]$TargetRid = $Rid) {
    Invoke-Deps
    Write-Step "publish $TargetRid"
    $out = Join-Path $Artifacts "publish/$TargetRid"
    $arguments = @('publish', $ServiceProject, '-c', 'Release', '-r', $TargetRid, '-o', $out, '-tl:off',
        "-p:SourceRevisionId=$(Get-GitRevision)") + (Get-CrossProperties $TargetRid)
    Invoke-WarningFreePublish "publish $TargetRid" $arguments (Get-BinaryPath $TargetRid)
}

# Runs `dotnet publish` with the given arguments, echoing its output; throws on a non-zero exit,
# on any warning line (a trim/AOT warning is a broken binary), or when $Binary was not produced.
function Invoke-WarningFreePublish([string]$Label, [string[]]$Arguments, [string]$Binary) {
    Write-Host "> dotnet $($Arguments -join ' ')" -ForegroundColor DarkGray
    $PSNativeCommandUseErrorActionPreference = $false # checked below, after the output is scanned
    $lines = & dotnet @Arguments 2>&1 | ForEach-Object { $line = "$_"; Write-Host $line; $line }
    $exit = $LASTEXITCODE
    $warnings = @($lines | Where-Object { $_ -match ' warning ' } | Select-Object -Unique)
    if ($exit -ne 0) { throw "$Label failed with exit code $exit" }
    if ($warnings.Count -gt 0) {
        Write-Host "${Label}: $($warnings.Count) warning(s):" -ForegroundColor Red
        $warnings | ForEach-Object { Write-Host "  $_" -ForegroundColor Red }
        throw "$Label produced warnings; the binary must build warning-free"
    }
    if (-not (Test-Path $Binary)) { throw "${Label}: $Binary was not produced" }
    $size = (Get-Item $Binary).Length
    Write-Host ("{0}: {1} ({2:N0} bytes, {3:N1} MiB), 0 warnings" -f $Label, $Binary, $size, ($size / 1MB)) -ForegroundColor Green
}

# The floor of issue 19 (tests/Appliance.Floor: a bare Kestrel WebSocket server), published
# Native AOT for linux-x64 like the service, for the load client's floor scenario.
function Invoke-FloorPublish {
    Write-Step 'publish floor linux-x64'
    $out = Join-Path $Artifacts 'publish/floor-linux-x64'
    $arguments = @('publish', (Join-Path $Root 'tests/Appliance.Floor/Appliance.Floor.csproj'), '-c', 'Release', '-r', 'linux-x64', '-o', $out, '-tl:off')
    Invoke-WarningFreePublish 'publish floor linux-x64' $arguments (Get-FloorBinaryPath)
}

# smoke: run the linux-arm64 binary under qemu: --version, --check-config, then serve, health,
# authenticate and ping over the WebSocket, and a clean exit on SIGTERM.
function Invoke-Smoke([switch]$SkipPublish) {
    if (-not $SkipPublish) { Invoke-Publish 'linux-arm64' } else { Invoke-Deps }
    Write-Step 'smoke linux-arm64 (qemu-aarch64-static)'
    $binary = Get-BinaryPath 'linux-arm64'
    if (-not (Test-Path $binary)) { throw "smoke: $binary not found (run publish -Rid linux-arm64 first, or drop -NoPublish)" }
    $qemu = @(Get-Command qemu-aarch64-static -CommandType Application)[0].Source # no -L: with it, the binary hangs
    function Appliance([string[]]$Arguments, [int]$TimeoutSeconds = 120) { Invoke-Captured $qemu (@($binary) + $Arguments) $TimeoutSeconds }
    function Fail([string]$Message, $Result) {
        throw "smoke: $Message`n--- exit code: $($Result.ExitCode)`n--- stdout:`n$($Result.StdOut)`n--- stderr:`n$($Result.StdErr)"
    }

    $temp = [System.IO.Directory]::CreateTempSubdirectory('appliance-smoke-').FullName
    $service = $null
    try {
        # (a) --version prints name, the project's version, revision and RID.
        $version = ([xml](Get-Content -Raw $ServiceProject)).SelectSingleNode('/Project/PropertyGroup/Version').InnerText
        $r = Appliance @('--version')
        if ($r.ExitCode -ne 0 -or $r.StdOut -notmatch "camera-appliance $([regex]::Escape($version)) \(\S+\) linux-arm64") { Fail "--version: expected exit 0 and 'camera-appliance $version (rev) linux-arm64'" $r }
        Write-Host "  --version: $($r.StdOut.Trim())" -ForegroundColor Green

        # (b) --check-config accepts a good config and rejects a bad key (exit 1, naming the key).
        $port = Get-FreeTcpPort
        $config = Join-Path $temp 'appliance.toml'
        Set-Content -Path $config -Value (New-SmokeConfig $temp $port)
        $r = Appliance @('--check-config', '--config', $config)
        if ($r.ExitCode -ne 0) { Fail '--check-config rejected the smoke config' $r }
        Write-Host "  --check-config (good): exit 0" -ForegroundColor Green
        $bad = Join-Path $temp 'bad.toml'
        Set-Content -Path $bad -Value ((Get-Content -Raw $config) -replace '(?m)^\[server\]\s*$', "[server]`nsmoke_bogus_key = 1")
        $r = Appliance @('--check-config', '--config', $bad)
        if ($r.ExitCode -ne 1 -or "$($r.StdOut)$($r.StdErr)" -notmatch 'smoke_bogus_key') { Fail '--check-config on a bad config: expected exit 1 naming server.smoke_bogus_key' $r }
        Write-Host "  --check-config (bad key): exit 1, names the key" -ForegroundColor Green

        # (c) serve: ready, authenticate with a minted admin JWT, ping, then SIGTERM -> exit 0.
        $service = Start-Redirected $qemu @($binary, '--config', $config)
        $ready = $false
        $deadline = [DateTime]::UtcNow.AddSeconds(60) # emulation is slow
        while (-not $ready -and [DateTime]::UtcNow -lt $deadline -and -not $service.Handle.HasExited) {
            try {
                $ready = (Invoke-WebRequest "http://127.0.0.1:$port/health/ready" -NoProxy -SkipHttpErrorCheck -TimeoutSec 5).StatusCode -eq 200
            }
            catch { Start-Sleep -Milliseconds 500 } # not listening yet
            if (-not $ready) { Start-Sleep -Milliseconds 500 }
        }
        if (-not $ready) {
            $why = if ($service.Handle.HasExited) { 'the service exited before /health/ready answered 200' } else { '/health/ready did not answer 200 within 60 s' }
            Stop-Redirected $service; Fail $why (Get-ServiceResult $service)
        }
        Write-Host "  /health/ready: 200" -ForegroundColor Green

        $r = Appliance @('--mint-jwt', 'admin', '--config', $config)
        $jwt = "$($r.StdOut)".Trim()
        if ($r.ExitCode -ne 0 -or $jwt -notmatch '^[\w-]+\.[\w-]+\.[\w-]+$') { Fail '--mint-jwt admin: expected exit 0 and a JWT on stdout' $r }

        try {
            $auth = Invoke-SmokeRpc $port @(
                [ordered]@{ jsonrpc = '2.0'; id = 1; method = 'authenticate'; params = @{ auth_token = $jwt } },
                [ordered]@{ jsonrpc = '2.0'; id = 2; method = 'ping' })
        }
        catch { Stop-Redirected $service; Fail "WebSocket: $($_.Exception.Message)" (Get-ServiceResult $service) }
        if (-not ($auth[0].PSObject.Properties['result'] -and $auth[0].result.authenticated -eq $true)) {
            Stop-Redirected $service; Fail "authenticate: expected result.authenticated = true, got $($auth[0] | ConvertTo-Json -Compress -Depth 5)" (Get-ServiceResult $service)
        }
        Write-Host "  authenticate (admin JWT): authenticated" -ForegroundColor Green
        if (-not ($auth[1].PSObject.Properties['result'] -and $auth[1].result -eq 'pong')) {
            Stop-Redirected $service; Fail "ping: expected result 'pong', got $($auth[1] | ConvertTo-Json -Compress -Depth 5)" (Get-ServiceResult $service)
        }
        Write-Host "  ping: pong" -ForegroundColor Green

        $servicePid = $service.Handle.Id
        Exec { kill -TERM $servicePid }
        if (-not $service.Handle.WaitForExit(15000)) { Stop-Redirected $service; Fail 'the service did not exit within 15 s of SIGTERM' (Get-ServiceResult $service) }
        $result = Get-ServiceResult $service
        if ($result.ExitCode -ne 0) { Fail "the service exited with code $($result.ExitCode) after SIGTERM (expected 0)" $result }
        Write-Host "  SIGTERM: exit 0" -ForegroundColor Green
        Write-Host 'smoke linux-arm64: passed' -ForegroundColor Green
    }
    finally {
        Stop-Redirected $service
        Remove-Item -Recurse -Force $temp -ErrorAction SilentlyContinue
    }
}

# The development config with an absolute data dir under $Dir, the given port and environment
# "development" (the sample JWT secret is accepted only there).
function New-SmokeConfig([string]$Dir, [int]$Port) {
    $paths = @{ 'security.api_keys_file' = "$Dir/state/api-keys.json"; 'recording.path' = "$Dir/recordings";
                'snapshots.path' = "$Dir/snapshots"; 'storage.state_dir' = "$Dir/state" }
    # Free ports for MediaMTX's API and the auth hook too: a development run (`run`) may hold the defaults.
    $set = @{ 'server.port' = "$Port"; 'server.environment' = '"development"';
              'mediamtx.api_port' = "$(Get-FreeTcpPort)"; 'mediamtx.auth_hook_port' = "$(Get-FreeTcpPort)" }
    foreach ($k in $paths.Keys) { $set[$k] = '"' + $paths[$k] + '"' }
    $section = ''
    $seen = @{}
    $lines = foreach ($line in Get-Content $DevConfig) {
        if ($line -match '^\s*\[\[?([^\]]+)\]\]?') { $section = $Matches[1].Trim() }
        elseif ($line -match '^\s*([A-Za-z0-9_]+)\s*=' -and $set.ContainsKey("$section.$($Matches[1])")) {
            $key = "$section.$($Matches[1])"
            $seen[$key] = $true
            $line = "$($Matches[1]) = $($set[$key])"
        }
        $line
    }
    # Keys the development config does not set go right under their section header.
    $lines = [System.Collections.Generic.List[string]]@($lines)
    foreach ($key in @($set.Keys | Where-Object { -not $seen.ContainsKey($_) })) {
        $sectionName, $name = $key.Split('.', 2)
        $header = $lines.FindIndex([Predicate[string]] { param($l) $l -match "^\s*\[$sectionName\]" })
        if ($header -lt 0) { $lines.AddRange([string[]]@('', "[$sectionName]")); $header = $lines.Count - 1 }
        $lines.Insert($header + 1, "$name = $($set[$key])")
    }
    $lines -join "`n"
}

# Exit code and output of a service process that has exited (or been killed).
function Get-ServiceResult($Service) {
    $code = if ($Service.Handle.HasExited) { $Service.Handle.ExitCode } else { '(still running)' }
    [pscustomobject]@{ ExitCode = $code; StdOut = $Service.StdOut(); StdErr = $Service.StdErr() }
}

# Sends JSON-RPC requests over one WebSocket, one at a time; returns the reply to each (by id).
# ($null = ... on awaited Tasks: PowerShell sees them as Task<VoidTaskResult> and would emit a value.)
function Invoke-SmokeRpc([int]$Port, [object[]]$Requests) {
    $socket = [System.Net.WebSockets.ClientWebSocket]::new()
    $socket.Options.Proxy = $null
    $cts = [System.Threading.CancellationTokenSource]::new([TimeSpan]::FromSeconds(60))
    try {
        $null = $socket.ConnectAsync([Uri]"ws://127.0.0.1:$Port/ws", $cts.Token).GetAwaiter().GetResult()
        $buffer = [byte[]]::new(64KB)
        foreach ($request in $Requests) {
            $bytes = [System.Text.Encoding]::UTF8.GetBytes(($request | ConvertTo-Json -Compress -Depth 5))
            $null = $socket.SendAsync([ArraySegment[byte]]::new($bytes), [System.Net.WebSockets.WebSocketMessageType]::Text, $true, $cts.Token).GetAwaiter().GetResult()
            do {
                # Skip notifications (no id) until the reply to this request arrives.
                $message = [System.IO.MemoryStream]::new()
                do {
                    $received = $socket.ReceiveAsync([ArraySegment[byte]]::new($buffer), $cts.Token).GetAwaiter().GetResult()
                    if ($received.MessageType -eq [System.Net.WebSockets.WebSocketMessageType]::Close) {
                        throw "the server closed the WebSocket ($($socket.CloseStatus) $($socket.CloseStatusDescription)) before replying to '$($request.method)'"
                    }
                    $message.Write($buffer, 0, $received.Count)
                } until ($received.EndOfMessage)
                $reply = [System.Text.Encoding]::UTF8.GetString($message.ToArray()) | ConvertFrom-Json
            } until ($reply.PSObject.Properties['id'] -and $reply.id -eq $request.id)
            Write-Host "  $($request.method) -> $($reply | ConvertTo-Json -Compress -Depth 5)" -ForegroundColor DarkGray
            $reply
        }
        $null = $socket.CloseAsync([System.Net.WebSockets.WebSocketCloseStatus]::NormalClosure, 'smoke done', $cts.Token).GetAwaiter().GetResult()
    }
    finally {
        $socket.Dispose()
        $cts.Dispose()
    }
}

# ---------------------------------------------------------------------------------------------
# Image and OTA bundle (issue 7). The "image" is the appliance's layer of the root file system:
# the AOT binary, the unit files and rootfs-overlay/, staged with root ownership and fixed modes
# into a tar archive with a manifest. The base OS (Debian/Raspberry Pi OS with ffmpeg, mediamtx,
# rauc, U-Boot) comes from the image pipeline that consumes it.
# ---------------------------------------------------------------------------------------------

function Get-AppVersion {
    $match = Select-String -Path $ServiceProject -Pattern '<Version>([^<]+)</Version>' | Select-Object -First 1
    if (-not $match) { throw "no <Version> in $ServiceProject" }
    $match.Matches[0].Groups[1].Value
}

# board/<board>/board.toml: flat key = "value" lines (rid, rauc_compatible, rauc_bootloader, config_txt).
function Get-BoardSettings([string]$Name) {
    $file = Join-Path $Root "board/$Name/board.toml"
    if (-not (Test-Path $file)) {
        $known = (Get-ChildItem (Join-Path $Root 'board') -Directory | Where-Object { Test-Path (Join-Path $_.FullName 'board.toml') }).Name -join ', '
        throw "unknown board '$Name' (known: $known)"
    }
    $settings = @{}
    foreach ($line in Get-Content $file) {
        if ($line -match '^\s*(\w+)\s*=\s*"([^"]*)"') { $settings[$Matches[1]] = $Matches[2] }
    }
    foreach ($key in 'rid', 'rauc_compatible', 'rauc_bootloader') {
        if (-not $settings.ContainsKey($key)) { throw "$file has no $key" }
    }
    $settings
}

# The development signing key and certificate (artifacts/dev-keys, made once with openssl, never
# committed). EKU codeSigning (the device's system.conf has check-purpose=codesign) and emailProtection
# (rauc info on the build machine checks RAUC's default purpose, S/MIME signing).
function Get-DevCertificate {
    $dir = Join-Path $Artifacts 'dev-keys'
    $cert = Join-Path $dir 'dev-cert.pem'
    $key = Join-Path $dir 'dev-key.pem'
    if (-not ((Test-Path $cert) -and (Test-Path $key))) {
        New-Item -ItemType Directory -Force $dir | Out-Null
        Exec { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -keyout $key -out $cert -subj '/O=Camera Appliance/CN=Camera Appliance development signing (NOT FOR PRODUCTION)' -addext 'keyUsage=critical,digitalSignature' -addext 'extendedKeyUsage=codeSigning,emailProtection' }
        chmod 600 $key
    }
    [pscustomobject]@{ Cert = $cert; Key = $key }
}

# Rewrites `key = value` lines of one [section] of a TOML file (the shipped config keeps its comments).
function Set-TomlValues([string]$Path, [string]$Section, [hashtable]$Values) {
    $current = ''
    $lines = foreach ($line in Get-Content $Path) {
        if ($line -match '^\[([^\]]+)\]') { $current = $Matches[1] }
        if ($current -eq $Section -and $line -match '^(\w+)(\s*=\s*)("[^"]*"|\S+)(.*)$' -and $Values.ContainsKey($Matches[1])) {
            $value = $Values[$Matches[1]]
            $text = if ($value -is [bool]) { "$value".ToLowerInvariant() } else { '"' + $value + '"' }
            "$($Matches[1])$($Matches[2])$text$($Matches[4])"
        }
        else { $line }
    }
    Set-Content -Path $Path -Value $lines
}

# image: publish the board's binary and stage it with the units and the overlay into
# artifacts/image/<board>/appliance-rootfs-<board>-<version>.tar.gz plus manifest.json.
function Invoke-Image([string]$BoardName = $Board, [switch]$SkipPublish, [string]$KeyringPath = $Keyring, [switch]$DevKeyring = $DevelopmentKeyring) {
    if (-not $KeyringPath -and -not $DevKeyring) {
        throw 'image: no -Keyring given. Pass -Keyring CA.pem (the production keyring), or -DevelopmentKeyring to install the development certificate (for test rigs only: anyone with the dev key could then update the device)'
    }
    $settings = Get-BoardSettings $BoardName
    $rid = $settings.rid
    if ($SkipPublish -and (Test-Path (Get-BinaryPath $rid))) { Invoke-Deps } else { Invoke-Publish $rid }
    Write-Step "image $BoardName ($rid)"
    $version = Get-AppVersion
    $revision = Get-GitRevision
    $out = Join-Path $Artifacts "image/$BoardName"
    $stage = Join-Path $out 'rootfs'
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    New-Item -ItemType Directory -Force $stage | Out-Null

    Copy-Item -Recurse -Path (Join-Path $Root 'rootfs-overlay/*') -Destination $stage
    $put = {
        param([string]$From, [string]$To)
        $target = Join-Path $stage $To
        New-Item -ItemType Directory -Force (Split-Path $target) | Out-Null
        Copy-Item $From $target
    }
    & $put (Get-BinaryPath $rid) 'usr/bin/appliance'
    foreach ($unit in Get-ChildItem (Join-Path $Root 'systemd') -Filter *.service) { & $put $unit.FullName "usr/lib/systemd/system/$($unit.Name)" }
    # Enabled the way `systemctl enable` would (their [Install] WantedBy=multi-user.target).
    $wants = Join-Path $stage 'etc/systemd/system/multi-user.target.wants'
    New-Item -ItemType Directory -Force $wants | Out-Null
    foreach ($unit in 'appliance.service', 'mediamtx.service') {
        New-Item -ItemType SymbolicLink -Path (Join-Path $wants $unit) -Target "/usr/lib/systemd/system/$unit" | Out-Null
    }
    $boardDir = Join-Path $Root "board/$BoardName"
    foreach ($file in Get-ChildItem $boardDir -File) { & $put $file.FullName "usr/share/appliance/board/$($file.Name)" }
    & $put (Join-Path $Root 'README.md') 'usr/share/doc/appliance/README.md'
    & $put (Join-Path $Root 'docs/tls.md') 'usr/share/doc/appliance/tls.md'

    # The board's values in the shipped config and RAUC's system.conf.
    $config = Join-Path $stage 'etc/appliance/appliance.toml'
    Set-TomlValues $config 'gpio' @{ board = $BoardName; enabled = ($BoardName -ne 'generic-arm64') }
    Set-TomlValues $config 'update' @{ enabled = $true; compatible = $settings.rauc_compatible }
    $raucConf = Join-Path $stage 'etc/rauc/system.conf'
    (Get-Content -Raw $raucConf).Replace('@COMPATIBLE@', $settings.rauc_compatible).Replace('@BOOTLOADER@', $settings.rauc_bootloader) |
        Set-Content -NoNewline $raucConf
    if ($KeyringPath) {
        if (-not (Test-Path $KeyringPath)) { throw "image: keyring $KeyringPath not found" }
        Copy-Item $KeyringPath (Join-Path $stage 'etc/rauc/keyring.pem')
    }
    else {
        Write-Host 'image: -DevelopmentKeyring: installing the DEVELOPMENT certificate as /etc/rauc/keyring.pem' -ForegroundColor Yellow
        Copy-Item (Get-DevCertificate).Cert (Join-Path $stage 'etc/rauc/keyring.pem')
    }
    Set-Content -Path (Join-Path $stage 'etc/appliance-release') -Value @(
        "NAME=camera-appliance", "VERSION=$version", "BOARD=$BoardName", "RID=$rid", "GIT_REVISION=$revision",
        "RAUC_COMPATIBLE=$($settings.rauc_compatible)", "RAUC_KEYRING=$(if ($KeyringPath) { 'production' } else { 'development' })")

    # Fixed modes: the binary executable, everything else readable, nothing group/world-writable.
    Get-ChildItem -Recurse -Directory $stage | ForEach-Object { chmod 0755 $_.FullName }
    Get-ChildItem -Recurse -File $stage | Where-Object { -not $_.LinkType } | ForEach-Object { chmod 0644 $_.FullName }
    chmod 0755 (Join-Path $stage 'usr/bin/appliance')

    # Manifest: every file with its sha256 (itself excluded), in the archive and beside it.
    $links = Get-ChildItem -Recurse -File $stage | Where-Object { $_.LinkType } | Sort-Object FullName | ForEach-Object {
        [ordered]@{ path = '/' + [System.IO.Path]::GetRelativePath($stage, $_.FullName).Replace('\', '/'); target = $_.Target }
    }
    $files = Get-ChildItem -Recurse -File $stage | Where-Object { -not $_.LinkType } | Sort-Object FullName | ForEach-Object {
        [ordered]@{
            path   = '/' + [System.IO.Path]::GetRelativePath($stage, $_.FullName).Replace('\', '/')
            size   = $_.Length
            mode   = [Convert]::ToString([int]$_.UnixFileMode, 8).PadLeft(4, '0')
            sha256 = (Get-FileHash -Algorithm SHA256 $_.FullName).Hash.ToLowerInvariant()
        }
    }
    $PSNativeCommandUseErrorActionPreference = $false
    $mtime = git -C $Root log -1 --format=%ct 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $mtime) { $mtime = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() }
    $PSNativeCommandUseErrorActionPreference = $true
    $manifest = [ordered]@{
        name = 'camera-appliance'; version = $version; board = $BoardName; rid = $rid; git_revision = $revision
        rauc_compatible = $settings.rauc_compatible
        # The commit's time, not the clock: the same commit stages the same bytes.
        built_at = [DateTimeOffset]::FromUnixTimeSeconds([long]$mtime).UtcDateTime.ToString('yyyy-MM-ddTHH:mm:ssZ'); files = @($files); links = @($links)
    } | ConvertTo-Json -Depth 4
    $inImage = Join-Path $stage 'usr/share/appliance/manifest.json'
    Set-Content -Path $inImage -Value $manifest
    chmod 0644 $inImage
    Set-Content -Path (Join-Path $out 'manifest.json') -Value $manifest

    # The staged binary accepts the staged config (a throw-away secret stands in for the first-boot one).
    $staged = Join-Path $stage 'usr/bin/appliance'
    $check = [System.Collections.Generic.List[string]]::new()
    if ($rid -eq 'linux-arm64' -and (uname -m) -ne 'aarch64') { $check.Add('qemu-aarch64-static') }
    $check.AddRange([string[]]@($staged, '--check-config', '--config', $config))
    $env:APPLIANCE_SECURITY_JWT_SECRET = [Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(48))
    try { Exec { & $check[0] @($check | Select-Object -Skip 1) } }
    finally { Remove-Item Env:APPLIANCE_SECURITY_JWT_SECRET }

    # Reproducible tar: sorted names, root:root, the commit's time on every entry, gzip without a timestamp.
    $archive = Join-Path $out "appliance-rootfs-$BoardName-$version.tar.gz"
    Exec { tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" --use-compress-program='gzip -n -9' -cf $archive -C $stage . }
    $listing = tar -tzf $archive
    foreach ($must in './usr/bin/appliance', './usr/lib/systemd/system/appliance.service', './etc/appliance/appliance.toml', './etc/rauc/keyring.pem', './usr/share/appliance/manifest.json') {
        if ($listing -notcontains $must) { throw "image: $must is missing from $archive" }
    }
    $script:ImageArchive = $archive
    Write-Host ("image {0}: {1} ({2:N1} MiB, {3} files, sha256 {4})" -f $BoardName, $archive, ((Get-Item $archive).Length / 1MB), @($files).Count,
        (Get-FileHash -Algorithm SHA256 $archive).Hash.ToLowerInvariant()) -ForegroundColor Green
}

# bundle: a signed RAUC bundle (verity format) of the board's image, checked with rauc info against
# the keyring; a tampered copy and a foreign keyring must both be refused.
function Invoke-Bundle([string]$BoardName = $Board, [switch]$SkipPublish, [switch]$DevKeyring = $DevelopmentKeyring) {
    if ($Keyring -and -not ($SigningCert -and $SigningKey)) { throw 'bundle: -Keyring needs -SigningCert and -SigningKey (the production signer)' }
    Invoke-Image $BoardName -SkipPublish:$SkipPublish -DevKeyring:$DevKeyring
    Write-Step "bundle $BoardName (RAUC)"
    $settings = Get-BoardSettings $BoardName
    $version = Get-AppVersion
    $signer = if ($SigningCert) { [pscustomobject]@{ Cert = $SigningCert; Key = $SigningKey } } else { Get-DevCertificate }
    $keyringFile = if ($Keyring) { $Keyring } else { $signer.Cert }
    $out = Join-Path $Artifacts "bundle/$BoardName"
    $content = Join-Path $out 'content'
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    New-Item -ItemType Directory -Force $content | Out-Null
    # RAUC writes a *.tar.* image into an ext4 slot by making the file system and extracting it.
    Copy-Item $script:ImageArchive (Join-Path $content 'rootfs.tar.gz')
    Set-Content -Path (Join-Path $content 'manifest.raucm') -Value @(
        '[update]', "compatible=$($settings.rauc_compatible)", "version=$version", "description=camera-appliance $version for $BoardName", "build=$(Get-GitRevision)",
        '', '[bundle]', 'format=verity',
        '', '[image.rootfs]', 'filename=rootfs.tar.gz')
    $bundle = Join-Path $out "appliance-$BoardName-$version.raucb"
    Exec { rauc bundle --cert=$($signer.Cert) --key=$($signer.Key) $content $bundle }

    $info = Invoke-Captured 'rauc' @('info', "--keyring=$keyringFile", '--output-format=json', $bundle)
    if ($info.ExitCode -ne 0) { throw "bundle: rauc info refused the bundle: $($info.StdErr)" }
    $json = $info.StdOut | ConvertFrom-Json
    if ($json.compatible -ne $settings.rauc_compatible) { throw "bundle: compatible is '$($json.compatible)', expected '$($settings.rauc_compatible)'" }
    if ($json.version -ne $version) { throw "bundle: version is '$($json.version)', expected '$version'" }
    $image = @($json.images | ForEach-Object { $_.PSObject.Properties.Value } | Where-Object { $_.filename -eq 'rootfs.tar.gz' })
    $expected = (Get-FileHash -Algorithm SHA256 $script:ImageArchive).Hash.ToLowerInvariant()
    if ($image.Count -ne 1 -or $image[0].checksum -ne $expected) { throw "bundle: the rootfs image in the bundle does not match the image archive (sha256 $expected)" }
    Write-Host "rauc info --keyring: signature verified; compatible $($json.compatible), version $($json.version), rootfs sha256 $expected"

    # As the device will read it: the image's own system.conf (RAUC rejects unknown keys) with its
    # check-purpose=codesign, and the keyring the image carries.
    $staged = Join-Path $Artifacts "image/$BoardName/rootfs/etc/rauc"
    $device = Invoke-Captured 'rauc' @("--conf=$(Join-Path $staged 'system.conf')", "--keyring=$(Join-Path $staged 'keyring.pem')", 'info', $bundle)
    if ($device.ExitCode -ne 0) { throw "bundle: with the image's system.conf and keyring, rauc refused the bundle: $($device.StdErr)" }
    Write-Host "rauc --conf=<image>/etc/rauc/system.conf info: the image's RAUC config loads and accepts the bundle"

    # The good bundle extracts to the very archive (rauc extract checks the payload against the signed verity hash).
    $extracted = Join-Path $out 'extracted'
    Exec { rauc extract --keyring=$keyringFile $bundle $extracted }
    if ((Get-FileHash -Algorithm SHA256 (Join-Path $extracted 'rootfs.tar.gz')).Hash.ToLowerInvariant() -ne $expected) { throw 'bundle: rauc extract gave a different rootfs' }
    Remove-Item -Recurse -Force $extracted

    # The checks must be able to fail: a flipped byte in the signature, one in the payload, and an
    # unknown signer are all refused.
    $bytes = [System.IO.File]::ReadAllBytes($bundle)
    $tamper = {
        param([string]$Name, [int]$Offset)
        $copy = [byte[]]$bytes.Clone()
        $copy[$Offset] = $copy[$Offset] -bxor 0xFF
        $path = Join-Path $out $Name
        [System.IO.File]::WriteAllBytes($path, $copy)
        $path
    }
    # A verity bundle ends with the CMS signature and its 8-byte size; the squashfs payload comes first.
    $badSignature = & $tamper 'tampered-signature.raucb' ($bytes.Length - 8 - 200)
    if ((Invoke-Captured 'rauc' @('info', "--keyring=$keyringFile", $badSignature)).ExitCode -eq 0) { throw 'bundle: rauc info accepted a bundle with a tampered signature' }
    $badPayload = & $tamper 'tampered-payload.raucb' ([int]($bytes.Length / 3))
    if ((Invoke-Captured 'rauc' @('extract', "--keyring=$keyringFile", $badPayload, (Join-Path $out 'tampered-out'))).ExitCode -eq 0) { throw 'bundle: rauc extract accepted a bundle with a tampered payload' }
    $stranger = Join-Path $out 'stranger'
    New-Item -ItemType Directory -Force $stranger | Out-Null
    Exec { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -keyout (Join-Path $stranger 'key.pem') -out (Join-Path $stranger 'cert.pem') -subj '/CN=not the appliance signer' 2>$null }
    if ((Invoke-Captured 'rauc' @('info', "--keyring=$(Join-Path $stranger 'cert.pem')", $bundle)).ExitCode -eq 0) { throw 'bundle: rauc info accepted the bundle with a foreign keyring' }
    Remove-Item -Recurse -Force $stranger, $badSignature, $badPayload
    Remove-Item -Recurse -Force (Join-Path $out 'tampered-out') -ErrorAction SilentlyContinue
    Write-Host 'rauc: a tampered signature, a tampered payload and a foreign keyring were all refused'
    Write-Host ("bundle {0}: {1} ({2:N1} MiB)" -f $BoardName, $bundle, ((Get-Item $bundle).Length / 1MB)) -ForegroundColor Green
}

# The sd_notify/watchdog process tests again, on the published Native AOT binary (the shipped program).
function Invoke-NotifyTests {
    Write-Step 'notify tests on the AOT binary (SystemdProcessTests)'
    $env:APPLIANCE_BINARY = Get-BinaryPath 'linux-x64'
    try { Exec { dotnet test $Solution -c $Configuration -tl:off --no-build --filter 'FullyQualifiedName~SystemdProcessTests' } }
    finally { Remove-Item Env:APPLIANCE_BINARY -ErrorAction SilentlyContinue }
}

# ci: everything .ci/run checks, in order, with the time each step took.
function Invoke-Ci {
    $steps = [ordered]@{
        'test'                     = { Invoke-Test }
        'publish -Rid linux-x64'   = { Invoke-Publish 'linux-x64' }
        'notify tests, AOT binary' = { Invoke-NotifyTests }
        'publish -Rid linux-arm64' = { Invoke-Publish 'linux-arm64' }
        'smoke -NoPublish'         = { Invoke-Smoke -SkipPublish }
        'bundle -Board rpi4'       = { Invoke-Bundle 'rpi4' -SkipPublish -DevKeyring }
    }
    $times = [ordered]@{}
    foreach ($name in $steps.Keys) {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        try { & $steps[$name] }
        catch { Write-Host ("ci: step '{0}' failed after {1:mm\:ss}" -f $name, $watch.Elapsed) -ForegroundColor Red; throw }
        $times[$name] = $watch.Elapsed
    }
    Write-Step 'ci: all steps passed'
    foreach ($name in $times.Keys) { Write-Host ("  {0,-26} {1:mm\:ss}" -f $name, $times[$name]) }
    if ($script:TestSummary) { Write-Host $script:TestSummary }
}

# bench: publish linux-x64 and the floor, and run the load client against them (extra arguments
# pass through; with --floor given, `all` includes the floor scenario).
function Invoke-Bench {
    Invoke-Publish 'linux-x64'
    Invoke-FloorPublish
    Write-Step 'bench'
    $binary = Get-BinaryPath 'linux-x64'
    $floor = Get-FloorBinaryPath
    Exec { dotnet run -c Release --project (Join-Path $Root 'tests/Appliance.LoadClient') -- --binary $binary --floor $floor @PassThru }
}

# help: the task list.
function Show-Help {
    Write-Host @'
usage: dotnet pwsh ./build.ps1 <task> [-Rid linux-x64|linux-arm64] [-Configuration Release|Debug] [-NoPublish] [-Board NAME]

tasks:
  deps      install the missing Debian packages the build and tests need (apt; sudo when not root)
  build     dotnet build Appliance.sln (default task)
  test      deps, then dotnet test Appliance.sln (host tests), browser-test, then vm-test, with a summary; non-zero exit on failure
  browser-test
            the web console in headless Chromium against the real service, a virtual camera and the
            MediaMTX stand-in (tests/browser; npm ci when needed); screenshots in artifacts/browser/
  vm-test   the "Vm" tests (real V4L2 vivid cameras, gpio-sim GPIO) inside a QEMU VM with Debian's kernel;
            a second boot with eight vivid cameras runs the "VmScale" test
  run       the development chain: media server (MediaMTX on PATH / -MediaMtx PATH, else the stand-in), the service, a login token; Ctrl+C stops all
  publish   Native AOT binary for -Rid into artifacts/publish/<rid>; fails on any warning
  smoke     publish linux-arm64 (unless -NoPublish) and exercise it under qemu-aarch64-static
  image     publish the board's binary, stage it with systemd/ and rootfs-overlay/ into
            artifacts/image/<board>/appliance-rootfs-<board>-<version>.tar.gz + manifest.json  [-Board rpi4|rpi5|generic-arm64] -Keyring CA.pem | -DevelopmentKeyring
  bundle    image, then a signed RAUC bundle artifacts/bundle/<board>/appliance-<board>-<version>.raucb, checked with
            rauc info --keyring (dev certificate made with openssl unless -Keyring/-SigningCert/-SigningKey)
  ci        test, publish linux-x64, the notify/watchdog tests on that AOT binary, publish linux-arm64,
            smoke -NoPublish, bundle -Board rpi4 (what .ci/run runs)
  bench     publish linux-x64 and the floor (tests/Appliance.Floor), run tests/Appliance.LoadClient against
            them with --floor (extra args pass through; `all` then includes the floor scenario)
  help      this list

A fresh machine needs only the .NET SDK:  dotnet tool restore && dotnet pwsh ./build.ps1 test
'@
}

# ---------------------------------------------------------------------------------------------

Push-Location $Root
try {
    if ($PassThru.Count -gt 0 -and $Task -ne 'bench') {
        Show-Help
        throw "unexpected arguments: $($PassThru -join ' ') (only 'bench' passes arguments through)"
    }
    switch ($Task) {
        'deps' { Invoke-Deps }
        'build' { Invoke-Build }
        'test' { Invoke-Test }
        'vm-test' { Invoke-VmTest }
        'browser-test' { Invoke-BrowserTest }
        'run' { Invoke-Run }
        'publish' { Invoke-Publish $Rid }
        'smoke' { Invoke-Smoke -SkipPublish:$NoPublish }
        'image' { Invoke-Image $Board -SkipPublish:$NoPublish }
        'bundle' { Invoke-Bundle $Board -SkipPublish:$NoPublish }
        'ci' { Invoke-Ci }
        'bench' { Invoke-Bench }
        { $_ -in 'help', '-h', '--help', '-?' } { Show-Help }
        default { Show-Help; throw "unknown task '$Task'" }
    }
}
catch {
    Write-Host "build.ps1 ${Task}: FAILED: $($_.Exception.Message)" -ForegroundColor Red
    Write-Host "  at $($_.InvocationInfo.ScriptName):$($_.InvocationInfo.ScriptLineNumber)" -ForegroundColor DarkGray
    exit 1
}
finally { Pop-Location }
