using Appliance.Gpio;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Tests.Gpio;

/// <summary>The LED's patterns over (fake) time: what the line is told, and when.</summary>
public class LedTests
{
    private sealed class RecordingLine(TimeProvider clock) : ILedLine
    {
        private readonly DateTimeOffset _start = clock.GetUtcNow();
        public List<(double Ms, bool On)> Writes { get; } = [];
        public void Set(bool on) => Writes.Add(((clock.GetUtcNow() - _start).TotalMilliseconds, on));
    }

    private static readonly TimeSpan Half = TimeSpan.FromSeconds(0.5);
    private FakeTimeProvider _clock = null!;
    private RecordingLine _line = null!;
    private Led _led = null!;

    [SetUp]
    public void Create()
    {
        _clock = new FakeTimeProvider();
        _line = new RecordingLine(_clock);
        _led = new Led(_clock) { Line = _line };
    }

    [TearDown]
    public void Dispose() => _led.Dispose();

    private void Run(double ms, double stepMs = 5)
    {
        for (var t = 0.0; t < ms; t += stepMs) _clock.Advance(TimeSpan.FromMilliseconds(stepMs));
    }

    [Test]
    public void StartingIsAFastBlinkOf125Milliseconds()
    {
        _led.Show(LedPatterns.Steps(StatusPattern.Starting), Half);
        Run(1000);
        Assert.That(_line.Writes.Skip(1), Is.EqualTo(new[]
        {
            (0.0, true), (125.0, false), (250.0, true), (375.0, false), (500.0, true), (625.0, false), (750.0, true), (875.0, false), (1000.0, true),
        }));
        Assert.That(_line.Writes[0], Is.EqualTo((0.0, false)), "a new line starts dark");
    }

    [Test]
    public void DegradedIsASlowBlinkAndErrorADoubleBlink()
    {
        _led.Show(LedPatterns.Steps(StatusPattern.Degraded), Half);
        Run(2000);
        Assert.That(_line.Writes.Skip(1).Select(w => w.Ms), Is.EqualTo(new[] { 0.0, 500, 1000, 1500, 2000 }));

        _line.Writes.Clear();
        _led.Show(LedPatterns.Steps(StatusPattern.Error), Half);
        Run(2000);
        // flash, pause, flash, long pause: repeats every second (lit at 0 already: the slow blink ended lit)
        Assert.That(_led.IsOn, Is.True);
        Assert.That(_line.Writes.Where(w => w.On).Select(w => w.Ms - 2000), Is.EqualTo(new[] { 250.0, 1000, 1250, 2000 }));
        Assert.That(_line.Writes.Where(w => !w.On).Select(w => w.Ms - 2000), Is.EqualTo(new[] { 125.0, 375, 1125, 1375 }));
    }

    [Test]
    public void TheBlinkIntervalScalesEveryPattern()
    {
        _led.Show(LedPatterns.Steps(StatusPattern.Starting), TimeSpan.FromSeconds(1));
        Run(1000);
        Assert.That(_line.Writes.Skip(1).Select(w => w.Ms), Is.EqualTo(new[] { 0.0, 250, 500, 750, 1000 }));
    }

    [Test]
    public void HealthyIsSteadyAndCostsNoWritesWhileItStays()
    {
        _led.Show(LedPatterns.Steps(StatusPattern.Degraded), Half);
        Run(700);
        _led.Show(LedPatterns.Steps(StatusPattern.Healthy), Half);
        var before = _line.Writes.Count;
        Run(5000);
        Assert.That(_led.IsOn, Is.True);
        Assert.That(_line.Writes.Count, Is.EqualTo(before), "no timer writes while steady");
    }

    [Test]
    public void ShowingTheSamePatternAgainKeepsItsPhase()
    {
        _led.Show(LedPatterns.Steps(StatusPattern.Degraded), Half);
        Run(300);
        _led.Show(LedPatterns.Steps(StatusPattern.Degraded), Half); // a health report that changed nothing
        Run(300);
        Assert.That(_line.Writes.Skip(1).Select(w => w.Ms), Is.EqualTo(new[] { 0.0, 500 }), "not restarted at 300 ms");
    }

    [Test]
    public void AFlashLightsTheLedBrieflyThenItsPatternReturns()
    {
        _led.Set(false);
        _led.Flash(TimeSpan.FromMilliseconds(150));
        Assert.That(_led.IsOn, Is.True);
        Run(100);
        _led.Flash(TimeSpan.FromMilliseconds(150)); // a second snapshot extends the flash
        Run(140);
        Assert.That(_led.IsOn, Is.True);
        Run(20);
        Assert.That(_led.IsOn, Is.False);
        Assert.That(_line.Writes, Is.EqualTo(new[] { (0.0, false), (0.0, true), (250.0, false) }));
    }

    [Test]
    public void ANewLineGetsTheCurrentLevelAtOnce()
    {
        _led.Set(true);
        var other = new RecordingLine(_clock);
        _led.Line = other;
        Assert.That(other.Writes, Is.EqualTo(new[] { (0.0, true) }));
    }

    [Test]
    public void AfterDisposeNothingReachesTheLineAndNothingThrows()
    {
        _led.Show(LedPatterns.Steps(StatusPattern.Degraded), Half);
        _led.Dispose();
        var before = _line.Writes.Count;
        Assert.DoesNotThrow(() =>
        {
            _led.Flash(TimeSpan.FromMilliseconds(150)); // a snapshot finishing during shutdown
            _led.Set(true);
            Run(2000);
        });
        Assert.That(_line.Writes, Has.Count.EqualTo(before));
    }

    [Test]
    public void EveryPatternHasADistinctRhythm()
    {
        var rhythms = Enum.GetValues<StatusPattern>().Select(p => string.Join(",", LedPatterns.Steps(p))).ToList();
        Assert.That(rhythms, Is.Unique);
        Assert.That(Enum.GetValues<StatusPattern>().Select(LedPatterns.Name), Is.Unique);
    }
}
