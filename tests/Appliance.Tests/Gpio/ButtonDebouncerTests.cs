using Appliance.Gpio;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Tests.Gpio;

/// <summary>Raw edges in, presses out, on a fake clock (50 ms debounce, 1500 ms long press).</summary>
public class ButtonDebouncerTests
{
    private FakeTimeProvider _clock = null!;
    private bool _level; // true = pressed
    private ButtonDebouncer _button = null!;
    private List<(double Ms, PressKind Kind)> _presses = null!;
    private DateTimeOffset _start;

    private void Create(bool heldAtStart = false)
    {
        _clock = new FakeTimeProvider();
        _start = _clock.GetUtcNow();
        _level = heldAtStart;
        _presses = [];
        _button = new ButtonDebouncer(() => _level, _clock, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(1500));
        _button.Pressed += k => _presses.Add(((_clock.GetUtcNow() - _start).TotalMilliseconds, k));
    }

    [TearDown]
    public void Dispose() => _button.Dispose();

    private void Edge(bool pressed)
    {
        _level = pressed;
        _button.OnEdge();
    }

    // In 1 ms steps: FakeTimeProvider runs a timer's callback at the end of one Advance, so a timer
    // the callback starts would count from there, not from when the first one was due.
    private void Wait(double ms)
    {
        for (var t = 0; t < ms; t++) _clock.Advance(TimeSpan.FromMilliseconds(1));
    }

    // A real contact: a few fast transitions before it settles.
    private void Bounce(bool settleTo)
    {
        foreach (var v in new[] { settleTo, !settleTo, settleTo, !settleTo, settleTo })
        {
            Edge(v);
            Wait(3);
        }
    }

    [Test]
    public void ABouncyShortPressFiresOnceOnRelease()
    {
        Create();
        Bounce(settleTo: true);
        Wait(200);
        Assert.That(_presses, Is.Empty, "nothing while held");
        Bounce(settleTo: false);
        Wait(100);
        Assert.That(_presses.Select(p => p.Kind), Is.EqualTo(new[] { PressKind.Short }));
        Assert.That(_button.IsPressed, Is.False);
    }

    [Test]
    public void AGlitchShorterThanTheDebounceTimeIsNoPress()
    {
        Create();
        Edge(true);
        Wait(20);
        Edge(false);
        Wait(500);
        Assert.That(_presses, Is.Empty);
        Assert.That(_button.IsPressed, Is.False);
    }

    [Test]
    public void ALongPressFiresAtTheThresholdWhileHeldAndTheReleaseFiresNothing()
    {
        Create();
        Edge(true);
        Wait(1499);
        Assert.That(_presses, Is.Empty);
        Wait(1);
        Assert.That(_presses, Is.EqualTo(new[] { (1500.0, PressKind.Long) }), "measured from the first edge");
        Wait(10_000); // still held: never fires twice
        Bounce(settleTo: false);
        Wait(100);
        Assert.That(_presses, Has.Count.EqualTo(1));
    }

    [Test]
    public void PressesAfterALongPressWorkAgain()
    {
        Create();
        Edge(true);
        Wait(2000);
        Edge(false);
        Wait(100);
        Edge(true);
        Wait(100);
        Edge(false);
        Wait(100);
        Assert.That(_presses.Select(p => p.Kind), Is.EqualTo(new[] { PressKind.Long, PressKind.Short }));
    }

    [Test]
    public void AButtonHeldAtStartIsIgnoredUntilReleased()
    {
        Create(heldAtStart: true);
        Wait(5000);
        Edge(false);
        Wait(100);
        Assert.That(_presses, Is.Empty, "a stuck or held button at boot does nothing");
        Edge(true);
        Wait(100);
        Edge(false);
        Wait(100);
        Assert.That(_presses.Select(p => p.Kind), Is.EqualTo(new[] { PressKind.Short }));
    }

    [Test]
    public void AnEdgeAfterDisposeIsIgnored()
    {
        Create();
        Edge(true);
        _button.Dispose();
        Assert.DoesNotThrow(() => { Edge(false); Wait(2000); });
        Assert.That(_presses, Is.Empty);
    }

    [Test]
    public void NewTimingsApplyToTheNextPress()
    {
        Create();
        _button.Configure(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(400));
        Edge(true);
        Wait(399);
        Assert.That(_presses, Is.Empty);
        Wait(1);
        Assert.That(_presses, Is.EqualTo(new[] { (400.0, PressKind.Long) }));
    }
}
