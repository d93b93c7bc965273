using System.Buffers;
using System.Diagnostics;
using Appliance.Buffers;
using SysProcess = System.Diagnostics.Process;

namespace Appliance.Processes;

/// <summary>
/// One child process of the service (FFmpeg, ffprobe, rauc, the reboot command), started from an
/// argument list (never a shell string) as the leader of its OWN process group, so that stopping
/// it reaches everything it started.
///
/// Why <c>setsid</c> and not posix_spawn: .NET's Process cannot call setpgid, so the child is
/// started as <c>/usr/bin/setsid -- /abs/ffmpeg args...</c>. A child forked by .NET is never a
/// group leader, so util-linux setsid calls setsid() and execs the program IN PLACE (no fork):
/// the PID we hold is the program's own, its process group and session id equal that PID (the tests
/// check /proc), and .NET's Process keeps doing what it does well: pipes, async exit, and reaping
/// (no zombies). posix_spawn with POSIX_SPAWN_SETPGROUP would avoid the extra exec but means
/// hand-made pipes, fd inheritance and a waitpid loop of our own that must not race the runtime's
/// SIGCHLD handling. The new session also detaches the child from any terminal.
///
/// stdin is a pipe while the stop ladder starts by asking on it (FFmpeg's 'q'), else closed at once;
/// stderr is always drained into a bounded <see cref="StderrTail"/>; stdout is captured into a
/// pooled buffer, handed to a <see cref="IOutputSink"/> as it arrives, both, or discarded
/// (<see cref="ChildProcessOptions"/>). How it is stopped is its <see cref="StopLadder"/>.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private const int StdoutChunk = 16 * 1024;

    // After the leader exits, how long the pipes may take to reach EOF before Exited completes anyway.
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(1);

    // SIGKILL cannot be caught; a process still there after this is stuck in uninterruptible I/O (a wedged USB camera).
    internal static readonly TimeSpan AfterKillLimit = TimeSpan.FromSeconds(5);

    private readonly SysProcess _process;
    private readonly ChildProcessOptions _options;
    private readonly StderrTail _stderr;
    private PooledBuffer? _stdout;
    private readonly TaskCompletionSource _firstOutput = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutOverflow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reaped;
    private readonly Task _stderrPump;
    private readonly Task _stdoutPump;
    private readonly Task<int> _exited;
    private readonly CancellationTokenSource _escalate = new();
    private readonly Lock _gate = new();
    private Task<StopResult>? _stop;
    private int _disposed;

    private ChildProcess(SysProcess process, string program, IReadOnlyList<string> arguments, ChildProcessOptions options)
    {
        _process = process;
        _options = options;
        Program = program;
        Arguments = [.. arguments];
        Pid = process.Id;
        StartTime = ProcFs.TryReadStat(Pid, out var stat) ? stat.StartTime : null;
        _stderr = new StderrTail(options.StderrLines, options.StderrBytes);
        if (options.CaptureStdout)
            _stdout = new PooledBuffer(StdoutChunk * 4);

        _reaped = process.WaitForExitAsync();
        _stderrPump = Task.Run(() => PumpStderrAsync(process.StandardError.BaseStream));
        _stdoutPump = Task.Run(() => PumpStdoutAsync(process.StandardOutput.BaseStream));
        _exited = FinishAsync();
    }

    /// <summary>
    /// Starts <paramref name="program"/> (a name looked up in PATH, or a path) with exactly these
    /// arguments. Throws <see cref="ExecutableNotFoundException"/> when it is not an executable
    /// (callers that owe their users a clearer message resolve it first, see <see cref="ExecutableResolver"/>).
    /// Most code starts children through <see cref="ProcessRunner"/>, which records them for crash recovery.
    /// </summary>
    public static ChildProcess Start(string program, IReadOnlyList<string> arguments, ChildProcessOptions? options = null)
    {
        options ??= new ChildProcessOptions();
        var resolved = ExecutableResolver.Resolve(program) ?? throw new ExecutableNotFoundException(program);
        if (!ProcessInterop.IsExecutable(options.SetsidPath))
            throw new FileNotFoundException($"setsid not found at {options.SetsidPath}: children are started through util-linux setsid to get their own process group", options.SetsidPath);

        var psi = new ProcessStartInfo(options.SetsidPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // "--": nothing after it is read as a setsid option. The absolute path becomes argv[0],
        // which is what ChildProcessRegistry matches /proc/<pid>/cmdline against after a crash.
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(resolved);
        foreach (var argument in arguments) psi.ArgumentList.Add(argument);
        foreach (var (name, value) in options.Environment) psi.Environment[name] = value;
        ChildEnvironment.Scrub(psi);
        var process = SysProcess.Start(psi) ?? throw new InvalidOperationException($"could not start {resolved}");
        if (options.Stop().QuitInput.IsEmpty)
        {
            // Nothing will ever be written: EOF rather than an open pipe the child could wait on.
            try { process.StandardInput.Close(); } catch (IOException) { }
        }
        return new ChildProcess(process, resolved, arguments, options);
    }

    /// <summary>The child's PID; also its process group id and session id.</summary>
    public int Pid { get; }

    /// <summary>Absolute path of the program (argv[0]).</summary>
    public string Program { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>/proc start time (clock ticks after boot); null if it was gone before it could be read.</summary>
    public ulong? StartTime { get; }

    /// <summary>Completes with the exit code once the process has exited and been reaped
    /// (128 + signal number when a signal ended it), after stderr was read to the end.</summary>
    public Task<int> Exited => _exited;

    public bool HasExited => _reaped.IsCompleted;

    /// <summary>Completes at the first byte on stdout or stderr, or at exit: "the process is up".</summary>
    public Task FirstOutput => _firstOutput.Task;

    /// <summary>The child's last stderr lines, '\n'-separated.</summary>
    public string StderrTail => _stderr.ToString();

    public IReadOnlyList<string> StderrLines => _stderr.Lines;

    /// <summary>Capturing: stdout grew past <see cref="ChildProcessOptions.MaxStdoutBytes"/>; the rest was dropped.</summary>
    public bool StdoutOverflowed => _stdoutOverflow.Task.IsCompleted;

    internal Task StdoutOverflow => _stdoutOverflow.Task;

    /// <summary>
    /// Capturing, after <see cref="Exited"/>: hands over the captured bytes (the caller
    /// disposes them). Without capture, an empty buffer.
    /// </summary>
    public PooledBuffer TakeStdout()
    {
        if (!_stdoutPump.IsCompleted) throw new InvalidOperationException("stdout is still being read; await Exited first");
        return Interlocked.Exchange(ref _stdout, null) ?? PooledBuffer.Empty();
    }

    /// <summary>
    /// Stops the process by its <see cref="StopLadder"/> (read now, so its graces apply live): the
    /// quit input on stdin (FFmpeg's 'q': it finishes its output file) → wait → SIGTERM (+ SIGCONT)
    /// to the process group → wait → SIGKILL to the group; the ladder may skip the first two
    /// steps. Concurrent calls share one stop. Throws <see cref="ChildProcessStuckException"/> when
    /// it has not exited <see cref="AfterKillLimit"/> after SIGKILL. Cancelling
    /// <paramref name="cancellation"/> skips the remaining waits and kills at once (shutdown in a hurry)
    /// rather than abandoning a live process.
    /// </summary>
    public Task<StopResult> StopAsync(CancellationToken cancellation = default)
    {
        Task<StopResult> stop;
        lock (_gate) stop = _stop ??= Task.Run(StopCoreAsync);
        if (cancellation.CanBeCanceled && !stop.IsCompleted)
        {
            var registration = cancellation.Register(static state => ((CancellationTokenSource)state!).Cancel(), _escalate);
            _ = stop.ContinueWith(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration, TaskScheduler.Default);
        }
        return stop;
    }

    /// <summary>
    /// SIGKILL to the process group now, no 'q' and no grace (a process that makes no progress will
    /// not act on them). True when it exited within <paramref name="wait"/>; false means it is stuck
    /// in uninterruptible I/O, and the caller should report it rather than wait on it.
    /// </summary>
    public Task<bool> KillAsync(TimeSpan wait)
    {
        Signal(ProcessInterop.SigKill);
        return WaitReapedAsync(wait, CancellationToken.None);
    }

    /// <summary>Kills the process group if it still runs; the Process object is released once the exit is collected.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_reaped.IsCompleted) Signal(ProcessInterop.SigKill);
        _ = ReleaseAfterExitAsync();
    }

    public override string ToString() => $"{Path.GetFileName(Program)} (pid {Pid})";

    private async Task<StopResult> StopCoreAsync()
    {
        if (_reaped.IsCompleted) return new StopResult(StopOutcome.Exited, await _exited.ConfigureAwait(false));
        var ladder = _options.Stop();
        var hurry = _escalate.Token;

        if (!ladder.QuitInput.IsEmpty)
        {
            SendQuit(ladder.QuitInput);
            if (await WaitReapedAsync(NotNegative(ladder.QuitGrace), hurry).ConfigureAwait(false))
                return new StopResult(StopOutcome.Quit, await _exited.ConfigureAwait(false));
        }

        if (ladder.Terminate && !hurry.IsCancellationRequested)
        {
            Signal(ProcessInterop.SigTerm);
            // A stopped process (SIGSTOP, a debugger) acts on SIGTERM only once continued; systemd sends SIGCONT after SIGTERM for the same reason.
            Signal(ProcessInterop.SigCont);
            if (await WaitReapedAsync(NotNegative(ladder.TerminateGrace), hurry).ConfigureAwait(false))
                return new StopResult(StopOutcome.Terminated, await _exited.ConfigureAwait(false));
        }

        Signal(ProcessInterop.SigKill);
        if (!await WaitReapedAsync(AfterKillLimit, CancellationToken.None).ConfigureAwait(false))
            throw new ChildProcessStuckException($"{this} did not exit {AfterKillLimit.TotalSeconds:0} s after SIGKILL (stuck in uninterruptible I/O?)");
        return new StopResult(StopOutcome.Killed, await _exited.ConfigureAwait(false));
    }

    private void SendQuit(ReadOnlyMemory<byte> input)
    {
        try
        {
            var stdin = _process.StandardInput.BaseStream;
            stdin.Write(input.Span); // a few bytes into an empty pipe: never blocks
            stdin.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // It closed stdin or already exited (EPIPE): the signals that follow still apply.
        }
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private void Signal(int signal)
    {
        try
        {
            if (ProcessInterop.SignalGroup(Pid, signal)) return;
            // No such group yet: we are within microseconds of the start and setsid has not run.
            // The PID is still ours (not reaped, so it cannot have been reused): signal the process itself.
            if (!_reaped.IsCompleted) ProcessInterop.SignalProcess(Pid, signal);
        }
        catch (IOException)
        {
            // EPERM cannot happen for our own child; nothing more can be done here.
        }
    }

    private async Task<bool> WaitReapedAsync(TimeSpan timeout, CancellationToken hurry)
    {
        try
        {
            await _reaped.WaitAsync(timeout, hurry).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (hurry.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<int> FinishAsync()
    {
        await _reaped.ConfigureAwait(false);
        var code = _process.ExitCode;
        _firstOutput.TrySetResult();
        // Sweep the group: anything the child (FFmpeg, a script) left behind would otherwise be orphaned.
        // Safe after the leader is reaped: the kernel does not reuse a number that is still some
        // group's id, so -Pid can only reach members of this group (or nobody: ESRCH).
        try { ProcessInterop.SignalGroup(Pid, ProcessInterop.SigKill); } catch (IOException) { }
        try
        {
            // Let stderr reach EOF so StderrTail holds the child's last words; bounded in case
            // something outside the group still holds the pipe open.
            await Task.WhenAll(_stderrPump, _stdoutPump).WaitAsync(DrainLimit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        return code;
    }

    private async Task PumpStderrAsync(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
            {
                _stderr.Append(buffer.AsSpan(0, n)); // before signalling, so the tail already holds what woke the waiter
                _firstOutput.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The pipe was closed under us (Dispose of a process whose pipe something else held open).
        }
        finally
        {
            _stderr.Complete();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task PumpStdoutAsync(Stream stream)
    {
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                // Read straight into the capture buffer's free tail (no copy, no per-chunk allocation),
                // never past the limit, so the buffer never grows for bytes it will not keep. Once
                // full, or when not capturing, read into one pooled scratch array.
                var room = _stdout is null || StdoutOverflowed ? 0 : _options.MaxStdoutBytes - _stdout.Length;
                Memory<byte> target;
                if (room > 0)
                {
                    var free = _stdout!.GetMemory(Math.Min(StdoutChunk, room));
                    target = free[..Math.Min(free.Length, room)];
                }
                else
                {
                    target = scratch ??= ArrayPool<byte>.Shared.Rent(StdoutChunk);
                }
                var n = await stream.ReadAsync(target).ConfigureAwait(false);
                if (n == 0) break;
                _firstOutput.TrySetResult();
                if (room > 0) _stdout!.Advance(n);
                // Past the limit: flag it, but keep draining so the child never blocks on a full pipe.
                else if (_stdout is not null) _stdoutOverflow.TrySetResult();
                _options.StdoutSink?.Append(target.Span[..n]);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _options.StdoutSink?.Complete();
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task ReleaseAfterExitAsync()
    {
        // The Process object is what reaps the child (the runtime's SIGCHLD handling waits for the
        // PIDs of live Process objects): keep it until the exit was collected.
        await _exited.ConfigureAwait(false);
        _process.Dispose(); // closes the pipes, which ends a pump still blocked on a held-open pipe
        await Task.WhenAll(_stderrPump, _stdoutPump).ConfigureAwait(false);
        Interlocked.Exchange(ref _stdout, null)?.Dispose();
    }

    private static TimeSpan NotNegative(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;
}
