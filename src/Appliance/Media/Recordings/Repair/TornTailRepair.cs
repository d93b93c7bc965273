namespace Appliance.Media.Recordings.Repair;
// TEMPORARY STUB until the repair branch merges
public enum TornTailOutcome { Intact, Trimmed }
public sealed record TornTailResult(TornTailOutcome Outcome, long OriginalLength, long NewLength);
public static class TornTailRepair { public static TornTailResult Repair(string path) => new(TornTailOutcome.Intact, 0, 0); }
