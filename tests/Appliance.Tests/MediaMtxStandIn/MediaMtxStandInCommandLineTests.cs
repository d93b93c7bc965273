using Appliance.Testing.MediaMtx.Runtime;

namespace Appliance.Tests.StandIn;

/// <summary>runOnDemand strings are split like go-shellquote and expanded like Go's os.Expand
/// (cases taken from go-shellquote's own tests).</summary>
public class MediaMtxStandInCommandLineTests
{
    [TestCase("ffmpeg -i x -f rtsp out", new[] { "ffmpeg", "-i", "x", "-f", "rtsp", "out" })]
    [TestCase("glob* test?", new[] { "glob*", "test?" })]
    [TestCase("don\\'t you know the dewey decimal system\\?", new[] { "don't", "you", "know", "the", "dewey", "decimal", "system?" })]
    [TestCase("'don'\\''t you know the dewey decimal system?'", new[] { "don't you know the dewey decimal system?" })]
    [TestCase("one '' two", new[] { "one", "", "two" })]
    [TestCase("text with\\\na backslash-escaped newline", new[] { "text", "witha", "backslash-escaped", "newline" })]
    [TestCase("text \"with\na\" quoted newline", new[] { "text", "with\na", "quoted", "newline" })]
    [TestCase("\"quoted\\d\\\\\\\" text with\\\na backslash-escaped newline\"", new[] { "quoted\\d\\\" text witha backslash-escaped newline" })]
    [TestCase("text with an escaped \\\n newline in the middle", new[] { "text", "with", "an", "escaped", "newline", "in", "the", "middle" })]
    [TestCase("foo\"bar\"baz", new[] { "foobarbaz" })]
    [TestCase("a|b;c > d", new[] { "a|b;c", ">", "d" })]
    public void SplitsLikeGoShellquote(string command, string[] words)
    {
        Assert.That(CommandLine.Split(command), Is.EqualTo(words));
    }

    [TestCase("don't worry", "Unterminated single-quoted string")]
    [TestCase("'test'\\''ing", "Unterminated single-quoted string")]
    [TestCase("\"foo'bar", "Unterminated double-quoted string")]
    [TestCase("foo\\", "Unterminated backslash-escape")]
    public void UnterminatedQuotingIsAnError(string command, string error)
    {
        var thrown = Assert.Throws<FormatException>(() => CommandLine.Split(command));
        Assert.That(thrown!.Message, Is.EqualTo(error));
    }

    [TestCase("rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH", "rtsp://127.0.0.1:8554/cam")]
    [TestCase("${MTX_PATH}_low", "cam_low")]
    [TestCase("$MTX_PATH_low", "")]
    [TestCase("cost: 5$", "cost: 5$")]
    [TestCase("a${}b", "ab")]
    [TestCase("$UNSET_STANDIN_VARIABLE-x", "-x")]
    public void ExpandsVariablesLikeGosOsExpand(string word, string expanded)
    {
        var environment = new Dictionary<string, string> { ["RTSP_PORT"] = "8554", ["MTX_PATH"] = "cam" };

        Assert.That(CommandLine.ExpandEnvironment(word, n => environment.GetValueOrDefault(n)), Is.EqualTo(expanded));
    }
}
