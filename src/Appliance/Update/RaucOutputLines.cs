using System.Text;
using Appliance.Processes;

namespace Appliance.Update;

/// <summary>
/// rauc's stdout, read as lines the way a terminal (and StreamReader.ReadLine) ends them: at
/// '\n', '\r' or "\r\n". Keeps all of it (bounded) for output that is parsed whole (status JSON),
/// the last lines (RAUC prints "LastError: ..." there), and hands each line to a callback as it
/// comes (install progress). Fed by the stdout pump; read after the exit.
/// </summary>
internal sealed class RaucOutputLines(int tailLines, Action<string>? onLine) : IOutputSink
{
    private const int MaxChars = 4 * 1024 * 1024;
    private const int MaxTailLineChars = 512;

    private readonly Lock _gate = new();
    private readonly List<byte> _line = [];
    private readonly StringBuilder _text = new();
    private readonly Queue<string> _tail = new();
    private bool _afterCarriageReturn;

    public string Text { get { lock (_gate) return _text.ToString(); } }

    public IReadOnlyList<string> Tail { get { lock (_gate) return [.. _tail]; } }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        foreach (var b in chunk)
        {
            if (_afterCarriageReturn)
            {
                _afterCarriageReturn = false;
                if (b == (byte)'\n') continue; // the second half of "\r\n"
            }
            if (b is (byte)'\n' or (byte)'\r')
            {
                EndLine();
                _afterCarriageReturn = b == (byte)'\r';
            }
            else if (_line.Count < MaxChars)
            {
                _line.Add(b);
            }
        }
    }

    public void Complete()
    {
        if (_line.Count > 0) EndLine();
    }

    private void EndLine()
    {
        var line = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line));
        _line.Clear();
        lock (_gate)
        {
            if (_text.Length < MaxChars) _text.Append(line).Append('\n');
            if (line.Length > 0)
            {
                _tail.Enqueue(line.Length <= MaxTailLineChars ? line : line[..MaxTailLineChars]);
                while (_tail.Count > tailLines) _tail.Dequeue();
            }
        }
        onLine?.Invoke(line);
    }
}
