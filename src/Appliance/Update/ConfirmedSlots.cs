using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Storage;
using Microsoft.Extensions.Logging;

namespace Appliance.Update;

/// <summary>What the service confirmed (marked good) for one slot: the installation it saw there.</summary>
/// <param name="InstalledAt">RAUC's installed timestamp of that installation, as RAUC wrote it.</param>
/// <param name="ConfirmedAt">When the service marked it good (ISO 8601 UTC).</param>
public sealed record ConfirmedSlot(string? Version, string? InstalledAt, long? InstalledCount, string ConfirmedAt);

/// <summary>The file's content: one entry per slot name, so booting back into an older, already
/// confirmed slot (a fallback, or an operator's mark-active) is not mistaken for a fresh install.</summary>
public sealed class ConfirmedSlotsFile
{
    public Dictionary<string, ConfirmedSlot> Slots { get; set; } = new(StringComparer.Ordinal);
}

[JsonSerializable(typeof(ConfirmedSlotsFile))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
public sealed partial class UpdateStateJsonContext : JsonSerializerContext;

/// <summary>
/// <c>&lt;storage.state_dir&gt;/update-state.json</c>: the installations the service has confirmed. A
/// booted slot whose bundle version and installed timestamp are not recorded here was installed since
/// the service last confirmed it, and must prove itself before it is marked good. Written atomically
/// (a power cut leaves the old or the new file); an unreadable file counts as empty, which at worst
/// marks a slot good once more (harmless), never the other way round.
/// </summary>
public sealed class ConfirmedSlots(string stateDirectory, ILogger log)
{
    public const string FileName = "update-state.json";

    public string FilePath { get; } = Path.Combine(stateDirectory, FileName);

    /// <summary>The record for <paramref name="slotName"/>, or null.</summary>
    public ConfirmedSlot? Get(string slotName) => Load().Slots.GetValueOrDefault(slotName);

    /// <summary>True when <paramref name="slot"/>'s current installation is the one recorded as confirmed.</summary>
    public bool IsConfirmed(RaucSlot slot) =>
        Get(slot.Name) is { } c && c.Version == slot.Version && c.InstalledAt == slot.InstalledAt;

    /// <summary>Records <paramref name="slot"/>'s current installation as confirmed now.</summary>
    public ConfirmedSlot Record(RaucSlot slot, DateTimeOffset now)
    {
        var file = Load();
        var entry = new ConfirmedSlot(slot.Version, slot.InstalledAt, slot.InstalledCount, Media.MediaFileNames.Iso(now));
        file.Slots[slot.Name] = entry;
        AtomicFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(file, UpdateStateJsonContext.Default.ConfirmedSlotsFile));
        return entry;
    }

    private ConfirmedSlotsFile Load()
    {
        try
        {
            if (!File.Exists(FilePath)) return new ConfirmedSlotsFile();
            return JsonSerializer.Deserialize(File.ReadAllBytes(FilePath), UpdateStateJsonContext.Default.ConfirmedSlotsFile) ?? new ConfirmedSlotsFile();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            log.LogWarning("Ignoring unreadable {File}: {Error}", FilePath, ex.Message);
            return new ConfirmedSlotsFile();
        }
    }
}
