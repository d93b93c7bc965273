using System.Text;
using Appliance.Processes;

namespace Appliance.Tests.Processes;

public class StderrTailTests
{
    private static StderrTail Feed(StderrTail tail, params string[] chunks)
    {
        foreach (var chunk in chunks) tail.Append(Encoding.UTF8.GetBytes(chunk));
        return tail;
    }

    [Test]
    public void ProgressLinesRewrittenWithCarriageReturnKeepOnlyTheLatest()
    {
        // FFmpeg's stats line is redrawn with '\r'; a terminal shows only the last one.
        var tail = Feed(new StderrTail(), "Input #0, lavfi\n", "frame=  1 fps=0\r", "frame=  2 fps=0\rframe=", "  3 fps=0\r", "\n", "[q] command received. Exiting.\r\n");
        Assert.That(tail.Lines, Is.EqualTo(new[] { "Input #0, lavfi", "frame=  3 fps=0", "[q] command received. Exiting." }));
    }

    [Test]
    public void CarriageReturnLineFeedSplitAcrossChunksIsOneLineEnd()
    {
        var tail = Feed(new StderrTail(), "first\r", "\nsecond\r", "\n");
        Assert.That(tail.Lines, Is.EqualTo(new[] { "first", "second" }));
    }

    [Test]
    public void BoundedByBytesAndLineLength()
    {
        var tail = new StderrTail(maxLines: 50, maxBytes: 100, maxLineBytes: 20);
        Feed(tail, new string('x', 1000) + "\n");
        Assert.That(tail.Lines, Is.EqualTo(new[] { new string('x', 20) + " [...]" }));

        for (var i = 0; i < 30; i++) Feed(tail, $"line {i:00}\n"); // 7 bytes each
        Assert.That(tail.Lines.Sum(l => Encoding.UTF8.GetByteCount(l)), Is.LessThanOrEqualTo(100));
        Assert.That(tail.Lines[^1], Is.EqualTo("line 29"));
        Assert.That(tail.Lines, Has.Count.EqualTo(14));
    }

    [Test]
    public void UnterminatedLastLineIsIncluded()
    {
        var tail = Feed(new StderrTail(), "a\n", "no newline at the end");
        Assert.That(tail.ToString(), Is.EqualTo("a\nno newline at the end"));
        tail.Complete();
        Assert.That(tail.Lines, Is.EqualTo(new[] { "a", "no newline at the end" }));
    }
}
