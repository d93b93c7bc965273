using System.Diagnostics;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>
/// A running runOnDemand command, as MediaMTX's externalcmd runs it on Linux: split without a
/// shell, environment variables expanded in each word, started in its own process group, stopped
/// with SIGINT to the group, restarted after a pause when it exits and restart is set. Unlike
/// MediaMTX the stop is bounded: SIGKILL to the group after the grace period.
/// </summary>
internal sealed class OnDemandCommand
{
    private readonly string _commandLine;
    private readonly bool _restart;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StandInOptions _options;
    private readonly CancellationTokenSource _terminate = new();
    private readonly HashSet<int> _groups = [];
    private readonly Queue<string> _output = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _firstLaunch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private int _launches;
    private int _processId; // 0: none running

    public OnDemandCommand(string commandLine, bool restart, IReadOnlyDictionary<string, string> environment, StandInOptions options)
    {
        _commandLine = commandLine;
        _restart = restart;
        _environment = environment;
        _options = options;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The process id (= its process group) while one is running.</summary>
    public int? ProcessId => Volatile.Read(ref _processId) is var pid and > 0 ? pid : null;

    public int Launches => Volatile.Read(ref _launches);

    /// <summary>Completes once the first attempt to launch has been made (successful or not).</summary>
    public Task FirstLaunch => _firstLaunch.Task;

    /// <summary>The last lines the command wrote (stdout and stderr), for test diagnostics.</summary>
    public IReadOnlyList<string> OutputTail
    {
        get { lock (_gate) return _output.ToArray(); }
    }

    /// <summary>SIGINT to the group, SIGKILL after the grace period; returns when it is gone.</summary>
    public async Task StopAsync()
    {
        await _terminate.CancelAsync();
        await _loop;
    }

    private async Task RunAsync()
    {
        try
        {
            while (!_terminate.IsCancellationRequested)
            {
                using var process = TryStart();
                _firstLaunch.TrySetResult();
                if (process is not null)
                {
                    try { await process.WaitForExitAsync(_terminate.Token); }
                    catch (OperationCanceledException) { await StopGroupAsync(process); return; }
                    Remember($"[exited with code {process.ExitCode}]");
                    Volatile.Write(ref _processId, 0);
                }
                if (!_restart) return;
                await Task.Delay(_options.CommandRestartPause, _terminate.Token);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            _firstLaunch.TrySetResult();
            KillStragglers();
        }
    }

    private Process? TryStart()
    {
        IReadOnlyList<string> words;
        try { words = CommandLine.Split(_commandLine); }
        catch (FormatException e) { Remember($"[cannot split command: {e.Message}]"); return null; }
        if (words.Count == 0) { Remember("[empty command]"); return null; }

        var start = new ProcessStartInfo(ProcessGroups.Setsid)
        {
            RedirectStandardInput = true, // closed below: the command gets EOF, not the test runner's input
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--");
        foreach (var word in words)
            start.ArgumentList.Add(CommandLine.ExpandEnvironment(word, name => _environment.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name)));
        foreach (var (name, value) in _environment) start.Environment[name] = value;

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Remember(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Remember(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_gate) _groups.Add(process.Id);
        Volatile.Write(ref _processId, process.Id);
        Interlocked.Increment(ref _launches);
        return process;
    }

    private async Task StopGroupAsync(Process process)
    {
        ProcessGroups.Signal(process.Id, ProcessGroups.SigInt);
        using var grace = new CancellationTokenSource(_options.CommandStopGrace);
        try { await process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException)
        {
            ProcessGroups.Signal(process.Id, ProcessGroups.SigKill);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await process.WaitForExitAsync(bound.Token);
        }
        Volatile.Write(ref _processId, 0);
    }

    // Children that outlived their group leader (or ignored SIGINT) must not outlive the stand-in.
    private void KillStragglers()
    {
        int[] groups;
        lock (_gate) groups = _groups.ToArray();
        foreach (var group in groups) ProcessGroups.Signal(group, ProcessGroups.SigKill);
    }

    private void Remember(string line)
    {
        lock (_gate)
        {
            _output.Enqueue(line);
            while (_output.Count > 100) _output.Dequeue();
        }
    }
}
