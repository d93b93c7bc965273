using Appliance.Tests.Support;

namespace Appliance.Tests.Update;

/// <summary>
/// A stand-in for RAUC's command-line interface: a real executable shell script in a temp directory,
/// set as update.rauc_path, so the service runs a real process exactly as it runs rauc. It appends each
/// invocation's arguments to <see cref="CallsFile"/> and answers the three commands the service uses:
/// <c>status [--detailed] --output-format=json</c> (the canned JSON in <see cref="StatusJson"/>),
/// <c>status mark-good booted</c> (exit 0, or 1 while <see cref="FailMarkGood"/>), <c>status mark-bad booted</c>, and
/// <c>install BUNDLE</c> (prints <see cref="InstallStdout"/> line by line, then exits with <see cref="InstallExitCode"/>).
/// Every knob is a file the script reads at each call, so a test changes the answers while it runs.
/// </summary>
public sealed class RaucStandIn : IDisposable
{
    private readonly TestDirectory _dir = new();

    public RaucStandIn()
    {
        Path = _dir.Write("bin/rauc", $$"""
            #!/bin/sh
            # Stand-in for the rauc CLI (tests/Appliance.Tests/Update/RaucStandIn.cs).
            d='{{_dir.Path}}'
            printf '%s\n' "$*" >> "$d/calls"
            case "$1" in
              status)
                if [ "$2" = "mark-good" ]; then
                  i=0
                  while [ -e "$d/hold-mark-good" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
                  if [ -e "$d/mark-good-fails" ]; then echo "Failed to mark slot: D-Bus error" >&2; exit 1; fi
                  echo "marked slot rootfs.1 as good"
                  exit 0
                fi
                if [ "$2" = "mark-bad" ]; then
                  echo "marked slot rootfs.1 as bad"
                  exit 0
                fi
                cat "$d/status.json"
                exit 0 ;;
              install)
                if [ -e "$d/hold-install" ]; then
                  i=0
                  while [ ! -e "$d/release-install" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
                fi
                while IFS= read -r line; do printf '%s\n' "$line"; sleep 0.02; done < "$d/install-stdout"
                [ -e "$d/install-stderr" ] && cat "$d/install-stderr" >&2
                exit "$(cat "$d/install-exit")" ;;
            esac
            echo "stand-in: unsupported command: $*" >&2
            exit 2
            """);
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        SetStatus(bootedVersion: "2.0.0", bootedInstalledAt: "2026-05-01T10:00:00Z");
        SetInstall(["  0% Installing", " 20% Checking bundle", " 40% Checking bundle done.", " 80% Copying image to rootfs.0", "100% Installing done.",
            "Installing `/data/update.raucb` succeeded"], exitCode: 0);
    }

    /// <summary>The script: what update.rauc_path is set to.</summary>
    public string Path { get; }

    public string CallsFile => _dir.File("calls");

    /// <summary>Every invocation so far, one line of space-separated arguments each.</summary>
    public IReadOnlyList<string> Calls => File.Exists(CallsFile) ? File.ReadAllLines(CallsFile) : [];

    public string StatusJson { get => File.ReadAllText(_dir.File("status.json")); set => _dir.Write("status.json", value); }

    public bool FailMarkGood
    {
        set { if (value) _dir.Write("mark-good-fails", ""); else File.Delete(_dir.File("mark-good-fails")); }
    }

    /// <summary>While true, mark-good waits (up to 20 s) before it answers.</summary>
    public bool HoldMarkGood
    {
        set { if (value) _dir.Write("hold-mark-good", ""); else File.Delete(_dir.File("hold-mark-good")); }
    }

    /// <summary>From now on install waits (up to 20 s) until <see cref="ReleaseInstall"/>.</summary>
    public void HoldInstall()
    {
        File.Delete(_dir.File("release-install"));
        _dir.Write("hold-install", "");
    }

    /// <summary>Lets a waiting install go on; later installs no longer wait.</summary>
    public void ReleaseInstall()
    {
        _dir.Write("release-install", "");
        File.Delete(_dir.File("hold-install"));
    }

    public void SetInstall(string[] stdout, int exitCode, string stderr = "")
    {
        _dir.Write("install-stdout", string.Join('\n', stdout) + "\n");
        _dir.Write("install-exit", exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (stderr.Length > 0) _dir.Write("install-stderr", stderr + "\n");
        else File.Delete(_dir.File("install-stderr"));
    }

    /// <summary>
    /// An A/B system booted from rootfs.1 (bootname B), in the format RAUC's
    /// <c>rauc status --detailed --output-format=json</c> prints (r_status_formatter_json in RAUC's
    /// src/main.c): top-level compatible, variant, booted, boot_primary, and "slots" as an array of
    /// single-member objects {"slot name": {class, device, type, bootname, state, parent, mountpoint,
    /// boot_status, slot_status: {bundle: {compatible, version, ...}, checksum, installed: {timestamp, count},
    /// activated: {timestamp, count}, status}}}.
    /// </summary>
    public void SetStatus(string bootedVersion, string bootedInstalledAt, string bootedBootStatus = "good") => StatusJson = """
        {"compatible":"camera-appliance-test","variant":"rpi4","booted":"B","boot_primary":"rootfs.1","slots":[
        {"rootfs.0":{"class":"rootfs","device":"/dev/disk/by-partlabel/rootfs-a","type":"ext4","bootname":"A","state":"inactive","parent":null,"mountpoint":null,"boot_status":"good",
          "slot_status":{"bundle":{"compatible":"camera-appliance-test","version":"1.0.0","description":"factory","build":"20260101"},
          "checksum":{"sha256":"0f1e2d","size":123456},"installed":{"timestamp":"2026-01-01T08:00:00Z","count":1},"activated":{"timestamp":"2026-01-01T08:00:05Z","count":1},"status":"ok"}}},
        {"rootfs.1":{"class":"rootfs","device":"/dev/disk/by-partlabel/rootfs-b","type":"ext4","bootname":"B","state":"booted","parent":null,"mountpoint":"/","boot_status":"@BOOT_STATUS@",
          "slot_status":{"bundle":{"compatible":"camera-appliance-test","version":"@VERSION@","build":"20260501"},
          "installed":{"timestamp":"@INSTALLED@","count":2},"activated":{"timestamp":"@INSTALLED@","count":2},"status":"ok"}}}],
        "artifact-repositories":[]}
        """
        .Replace("@BOOT_STATUS@", bootedBootStatus, StringComparison.Ordinal).Replace("@VERSION@", bootedVersion, StringComparison.Ordinal)
        .Replace("@INSTALLED@", bootedInstalledAt, StringComparison.Ordinal);

    public void Dispose() => _dir.Dispose();
}
