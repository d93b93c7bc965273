using System.Text;

namespace Appliance.Processes;

/// <summary>
/// The last lines a child (FFmpeg above all) wrote to stderr, bounded by line count and bytes, so
/// an error can quote the child's own last words without the service holding an unbounded log. Lines are split on '\n'
/// like a terminal shows them: a line ended by a bare '\r' (FFmpeg's "frame= ... speed=" progress
/// line, rewritten in place) is replaced by whatever comes next instead of flooding the tail.
/// Over-long lines are cut (a binary blob on stderr cannot blow the bound). Thread-safe: the pump
/// appends while callers read.
/// </summary>
public sealed class StderrTail(int maxLines = 50, int maxBytes = 8 * 1024, int maxLineBytes = 512)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<string> _lines = new();
    private readonly byte[] _current = new byte[maxLineBytes];
    private int _currentLength;
    private bool _currentTruncated;
    private bool _pendingCarriageReturn;
    private bool _lastIsProvisional;
    private int _bytes;

    public void Append(ReadOnlySpan<byte> chunk)
    {
        lock (_gate)
        {
            foreach (var b in chunk)
            {
                if (_pendingCarriageReturn)
                {
                    _pendingCarriageReturn = false;
                    if (b == (byte)'\n') { Commit(provisional: false); continue; }
                    Commit(provisional: true);
                }
                if (b == (byte)'\n') Commit(provisional: false);
                else if (b == (byte)'\r') _pendingCarriageReturn = true;
                else if (_currentLength < _current.Length) _current[_currentLength++] = b;
                else _currentTruncated = true;
            }
        }
    }

    /// <summary>Ends the last, unterminated line (at EOF).</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _pendingCarriageReturn = false;
            Commit(provisional: false);
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                var lines = new List<string>(_lines);
                if (_currentLength > 0) lines.Add(Decode());
                return lines;
            }
        }
    }

    /// <summary>The retained lines joined with '\n' (empty when the child said nothing).</summary>
    public override string ToString() => string.Join('\n', Lines);

    private void Commit(bool provisional)
    {
        if (_currentLength == 0 && !_currentTruncated) return; // blank lines carry nothing worth quoting
        var line = Decode();
        _currentLength = 0;
        _currentTruncated = false;
        if (_lastIsProvisional && _lines.Last is { } last)
        {
            // The previous line was rewritten in place on a terminal: the new one replaces it.
            _bytes -= Encoding.UTF8.GetByteCount(last.Value);
            _lines.RemoveLast();
        }
        _lines.AddLast(line);
        _bytes += Encoding.UTF8.GetByteCount(line);
        _lastIsProvisional = provisional;
        while (_lines.Count > 1 && (_lines.Count > maxLines || _bytes > maxBytes))
        {
            _bytes -= Encoding.UTF8.GetByteCount(_lines.First!.Value);
            _lines.RemoveFirst();
        }
    }

    private string Decode()
    {
        // FFmpeg quotes its input URL in errors; ours carry the MediaMTX credential (a bundle URL may carry one too).
        var text = UrlCredentialRedaction.Redact(Encoding.UTF8.GetString(_current, 0, _currentLength).TrimEnd());
        return _currentTruncated ? text + " [...]" : text;
    }
}
