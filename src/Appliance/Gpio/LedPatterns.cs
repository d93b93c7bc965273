namespace Appliance.Gpio;

/// <summary>What the status LED says. One meaning per pattern; README.md and board/README.md have the table.</summary>
public enum StatusPattern { Off, Starting, Healthy, Degraded, Error, UpdatePending, UpdateConfirmed }

/// <summary>One step of a blink pattern: the LED on or off for <see cref="Units"/> blink intervals.</summary>
public readonly record struct LedStep(bool On, double Units);

/// <summary>
/// The status LED's blink patterns, in units of gpio.led_blink_interval (0.5 s by default) so one
/// key makes every pattern faster or slower while they stay distinguishable from each other:
/// patterns differ in rhythm (fast, slow, two or three flashes then a pause), not only in speed.
/// </summary>
public static class LedPatterns
{
    private static readonly LedStep[] Steady = [new(true, 1)];
    private static readonly LedStep[] Dark = [new(false, 1)];

    public static IReadOnlyList<LedStep> Steps(StatusPattern pattern) => pattern switch
    {
        // 0.125 s on, 0.125 s off: busy, not yet serving.
        StatusPattern.Starting => [new(true, 0.25), new(false, 0.25)],
        StatusPattern.Healthy => Steady,
        // 0.5 s on, 0.5 s off: working, but something it needs is missing.
        StatusPattern.Degraded => [new(true, 1), new(false, 1)],
        // Two short flashes, then a pause (1 s cycle): needs a technician.
        StatusPattern.Error => [new(true, 0.25), new(false, 0.25), new(true, 0.25), new(false, 1.25)],
        // Three short flashes, then a pause (1.5 s cycle): an update is being installed; do not unplug.
        StatusPattern.UpdatePending => [new(true, 0.25), new(false, 0.25), new(true, 0.25), new(false, 0.25), new(true, 0.25), new(false, 1.75)],
        // On, with a short dip every 2 s: running the newly installed version, confirmed good.
        StatusPattern.UpdateConfirmed => [new(true, 3.5), new(false, 0.5)],
        _ => Dark,
    };

    /// <summary>The name used in logs, get_status and the docs.</summary>
    public static string Name(StatusPattern pattern) => pattern switch
    {
        StatusPattern.Starting => "starting (fast blink)",
        StatusPattern.Healthy => "healthy (steady on)",
        StatusPattern.Degraded => "degraded (slow blink)",
        StatusPattern.Error => "error (double blink)",
        StatusPattern.UpdatePending => "update pending (triple blink)",
        StatusPattern.UpdateConfirmed => "update confirmed (on, short dip every 2 s)",
        _ => "off",
    };

    /// <summary>The pattern as one word for clients (get_gpio_state).</summary>
    public static string Token(StatusPattern pattern) => pattern switch
    {
        StatusPattern.Starting => "starting",
        StatusPattern.Healthy => "healthy",
        StatusPattern.Degraded => "degraded",
        StatusPattern.Error => "error",
        StatusPattern.UpdatePending => "update_pending",
        StatusPattern.UpdateConfirmed => "update_confirmed",
        _ => "off",
    };
}
