using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Appliance.Testing.MediaMtx.Relay;

/// <summary>What the relay needs to know of a configured path.</summary>
internal sealed record RelayPath(bool OnDemand, TimeSpan StartTimeout);

/// <summary>
/// The GStreamer RTSP relay (tests/media/rtsp-relay.py) as a child process: its stdout events go
/// to a callback, path configuration and kicks go to its stdin. It exits by itself when our end
/// of its stdin closes, so even a crashed test run leaves no relay behind.
/// </summary>
internal sealed class RtspRelay : IAsyncDisposable
{
    /// <summary>Debian's interpreter: the GStreamer bindings (python3-gst-1.0) live there.</summary>
    public const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly Queue<string> _stderr = new();
    private readonly Lock _gate = new();

    private RtspRelay(Process process) => _process = process;

    public int Port { get; private set; }

    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "media", "rtsp-relay.py");

    /// <param name="authHttpAddress">When set, the relay asks this auth server (MediaMTX's HTTP auth body)
    /// before every RTSP read and publish.</param>
    public static async Task<RtspRelay> StartAsync(int port, Action<RelayEvent> onEvent, TimeSpan timeout, string? authHttpAddress = null)
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing: the relay needs Debian's python3 with python3-gst-1.0 (build.ps1 deps)");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The RTSP server's own warnings (a medium that failed to prepare, a client error) join the stderr
        // tail that a failed test reports; nothing else of GStreamer's logging.
        start.Environment["GST_DEBUG"] = "rtsp*:2";
        start.Environment["GST_DEBUG_NO_COLOR"] = "1";
        foreach (var argument in new[] { "-u", ScriptPath, "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        if (authHttpAddress is not null)
        {
            start.ArgumentList.Add("--auth-http-address");
            start.ArgumentList.Add(authHttpAddress);
        }

        var relay = new RtspRelay(new Process { StartInfo = start });
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        relay._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null || RelayEvent.Parse(e.Data) is not { } relayEvent) return;
            if (relayEvent.Event == "listening") listening.TrySetResult((int)relayEvent.Long("port"));
            else onEvent(relayEvent);
        };
        relay._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) relay.RememberError(e.Data); };
        relay._process.EnableRaisingEvents = true;
        relay._process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("the RTSP relay exited"));
        relay._process.Start();
        relay._process.BeginOutputReadLine();
        relay._process.BeginErrorReadLine();

        try
        {
            relay.Port = await listening.Task.WaitAsync(timeout);
            return relay;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await relay.DisposeAsync();
            throw new InvalidOperationException($"the RTSP relay did not start listening within {timeout.TotalSeconds:0} s: {relay.ErrorTail}", e);
        }
    }

    public string ErrorTail
    {
        get { lock (_gate) return string.Join('\n', _stderr); }
    }

    public void SetPaths(IReadOnlyDictionary<string, RelayPath> paths)
    {
        var list = new JsonObject();
        foreach (var (name, path) in paths)
            list[name] = new JsonObject { ["onDemand"] = path.OnDemand, ["startTimeout"] = path.StartTimeout.TotalSeconds };
        Send(new JsonObject { ["cmd"] = "paths", ["paths"] = list });
    }

    public void Kick(string path) => Send(new JsonObject { ["cmd"] = "kick", ["path"] = path });

    /// <summary>Closes its stdin (it quits, dropping every RTSP client), SIGKILL if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        try { _process.StandardInput.Close(); } catch (IOException) { } catch (InvalidOperationException) { }
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try { await _process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException) { KillNow(); }
        catch (InvalidOperationException) { } // never started
        _process.Dispose();
    }

    /// <summary>For process exit, when nothing can be awaited any more.</summary>
    public void KillNow()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
    }

    private void Send(JsonObject command)
    {
        lock (_gate)
        {
            try
            {
                _process.StandardInput.WriteLine(command.ToJsonString());
                _process.StandardInput.Flush();
            }
            catch (IOException) { } // the relay is gone; its absence shows up in the tests that need it
            catch (ObjectDisposedException) { }
        }
    }

    private void RememberError(string line)
    {
        // GStreamer's latency advice for the PLAY pipelines comes with every reader and says nothing about a failure.
        if (line.Contains("please add queues", StringComparison.Ordinal) || line.Contains("Not enough buffering available", StringComparison.Ordinal)) return;
        lock (_gate)
        {
            _stderr.Enqueue(line);
            while (_stderr.Count > 100) _stderr.Dequeue();
        }
    }
}
