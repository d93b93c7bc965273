using System.Text.Json;

namespace Appliance.Update;

/// <summary>One slot as the service uses it, flattened from RAUC's nested JSON.</summary>
/// <param name="Name">RAUC's slot name, e.g. "rootfs.0".</param>
/// <param name="Version">Bundle version last installed into the slot; null for a slot never installed by RAUC.</param>
/// <param name="InstalledAt">RAUC's installed timestamp (kept as RAUC wrote it); null likewise.</param>
public sealed record RaucSlot(string Name, string? Class, string? Bootname, string? State, string? BootStatus, string? Version,
    string? InstalledAt, long? InstalledCount, string? BundleCompatible);

/// <summary>RAUC's view of the system: what it is, which slot booted, which one boots next.</summary>
public sealed record RaucStatus(string? Compatible, string? Variant, string? Booted, string? BootPrimary, IReadOnlyList<RaucSlot> Slots)
{
    /// <summary>
    /// The slot the running system was booted from: the one RAUC says is in state "booted", or else the
    /// one whose bootname or name is RAUC's "booted" value. Null when RAUC could not tell (e.g. an NFS boot).
    /// </summary>
    public RaucSlot? BootedSlot =>
        Slots.FirstOrDefault(s => s.State == "booted")
        ?? (Booted is { Length: > 0 } b ? Slots.FirstOrDefault(s => s.Bootname == b || s.Name == b) : null);

    /// <summary>Parses RAUC's JSON; throws <see cref="RaucException"/> (quoting the start of the text) when it is not that.</summary>
    public static RaucStatus Parse(string json)
    {
        RaucStatusJson? raw;
        try
        {
            raw = JsonSerializer.Deserialize(json, RaucJsonContext.Default.RaucStatusJson);
        }
        catch (JsonException e)
        {
            throw new RaucException($"rauc status printed something that is not its JSON status ({e.Message}): {Quote(json)}");
        }
        if (raw is null) throw new RaucException($"rauc status printed no status: {Quote(json)}");

        var slots = new List<RaucSlot>();
        foreach (var entry in raw.Slots ?? [])
        {
            // Each array element is {"<slot name>": {...}}: one member, but tolerate more.
            foreach (var (name, s) in entry)
            {
                var status = s.SlotStatus;
                slots.Add(new RaucSlot(name, s.Class, s.Bootname, s.State, s.BootStatus, status?.Bundle?.Version,
                    status?.Installed?.Timestamp, status?.Installed?.Count, status?.Bundle?.Compatible));
            }
        }
        slots.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name)); // RAUC prints them in hash-table order
        return new RaucStatus(raw.Compatible, raw.Variant, raw.Booted, raw.BootPrimary, slots);
    }

    private static string Quote(string text)
    {
        var t = text.Trim();
        return t.Length == 0 ? "(nothing)" : t.Length <= 200 ? t : t[..200] + "…";
    }
}
