using Appliance.Gpio;
using Appliance.Tests.Support;

namespace Appliance.Tests.Gpio;

/// <summary>The board pin maps: the shipped files (embedded from board/), site overrides, and clear errors.</summary>
public class PinMapTests
{
    private static string RepoBoardDir([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../../board"));

    [Test]
    public void EveryBoardFolderIsBuiltIntoTheBinary()
    {
        var folders = Directory.GetDirectories(RepoBoardDir()).Where(d => File.Exists(Path.Combine(d, "pins.toml"))).Select(Path.GetFileName);
        Assert.That(PinMapLoader.BuiltInBoards(), Is.EquivalentTo(folders));
        Assert.That(PinMapLoader.BuiltInBoards(), Is.SupersetOf(new[] { "rpi4", "rpi5", "generic-arm64" }));
    }

    [TestCase("rpi4", "pinctrl-bcm2711")]
    [TestCase("rpi5", "pinctrl-rp1")]
    public void RaspberryPiMapsNameTheHeaderChipByLabel(string board, string label)
    {
        var map = PinMapLoader.Load(board, configPath: null);
        Assert.That(map.Board, Is.EqualTo(board));
        Assert.That(map.Source, Does.StartWith("(built in)"));
        Assert.That(map.Pins.Select(p => p.ChipLabel).Distinct(), Is.EqualTo(new[] { label }));
        Assert.That(map.Find(PinRole.StatusLed), Is.EqualTo(new PinAssignment(PinRole.StatusLed, label, 17, false, PinBias.None)));
        Assert.That(map.Find(PinRole.RecordingLed)!.Line, Is.EqualTo(27));
        Assert.That(map.Find(PinRole.ActivityLed)!.Line, Is.EqualTo(22));
        Assert.That(map.Find(PinRole.SnapshotButton), Is.EqualTo(new PinAssignment(PinRole.SnapshotButton, label, 23, true, PinBias.PullUp)));
    }

    [Test]
    public void TheGenericBoardHasNoPins()
    {
        var map = PinMapLoader.Load("generic-arm64", null);
        Assert.That(map.Pins, Is.Empty);
        Assert.That(map.Find(PinRole.StatusLed), Is.Null);
    }

    [Test]
    public void AFileNextToTheConfigWinsOverTheBuiltInMap()
    {
        using var dir = new TestDirectory();
        var config = dir.Write("appliance.toml", "");
        dir.Write("board/rpi4/pins.toml", """
            board = "rpi4"
            [status_led]
            chip = "my-expander"
            line = 3
            active_low = true
            """);
        var map = PinMapLoader.Load("rpi4", config);
        Assert.That(map.Source, Is.EqualTo(dir.File("board/rpi4/pins.toml")));
        Assert.That(map.Pins, Is.EqualTo(new[] { new PinAssignment(PinRole.StatusLed, "my-expander", 3, true, PinBias.None) }));
        Assert.That(PinMapLoader.Load("rpi5", config).Source, Does.StartWith("(built in)"), "other boards still come from the binary");
    }

    [Test]
    public void EveryProblemIsReportedWithFileLineAndKey()
    {
        var e = Assert.Throws<PinMapException>(() => PinMapLoader.Parse("""
            board = "rpi4"
            [status_led]
            chip = "pinctrl-bcm2711"
            line = 17
            activelow = true
            bias = "pull-up"
            [recording_led]
            chip = ""
            line = 17000
            [snapshot_button]
            chip = "pinctrl-bcm2711"
            line = 17
            bias = "up"
            """, "pins.toml", "rpi4"))!;
        Assert.That(e.Message, Does.Contain("pins.toml:5: status_led.activelow: unknown key"));
        Assert.That(e.Message, Does.Contain("status_led.bias: only an input (the button) has a pull resistor"));
        Assert.That(e.Message, Does.Contain("recording_led.chip: the gpiochip's label is required"));
        Assert.That(e.Message, Does.Contain("recording_led.line = 17000: must be a line offset from 0 to 1023"));
        Assert.That(e.Message, Does.Contain("snapshot_button.bias = \"up\""));
        Assert.That(e.Message, Does.Contain("status_led and snapshot_button share pinctrl-bcm2711 line 17"));
    }

    [Test]
    public void ATableGivenTwiceIsRefusedNamingBothLines()
    {
        // Tomlyn alone accepts this, merging the two [status_led] tables.
        var e = Assert.Throws<PinMapException>(() => PinMapLoader.Parse(
            "board = \"rpi4\"\n[status_led]\nchip = \"pinctrl-bcm2711\"\n[status_led]\nline = 17\n", "pins.toml", "rpi4"))!;
        Assert.That(e.Message, Is.EqualTo("pins.toml:4: status_led: table [status_led] is defined twice (first at line 2)"));
    }

    [Test]
    public void AMapForAnotherBoardOrWithBadSyntaxIsRefused()
    {
        Assert.That(() => PinMapLoader.Parse("board = \"rpi5\"", "x.toml", "rpi4"),
            Throws.TypeOf<PinMapException>().With.Message.Contains("for another board than \"rpi4\""));
        Assert.That(() => PinMapLoader.Parse("board = \"rpi4\"\n[status_led\n", "x.toml", "rpi4"),
            Throws.TypeOf<PinMapException>().With.Message.StartsWith("x.toml"));
        Assert.That(() => PinMapLoader.Parse("board = \"rpi4\"\n[status_led]\nline = \"17\"\n", "x.toml", "rpi4"), Throws.TypeOf<PinMapException>());
        Assert.That(() => PinMapLoader.Load("../etc", null), Throws.TypeOf<PinMapException>().With.Message.Contains("not a board name"));
        Assert.That(() => PinMapLoader.Load("beaglebone", null), Throws.TypeOf<PinMapException>().With.Message.Contains("built in: generic-arm64, rpi4, rpi5"));
    }
}
