using System.Text.Json.Serialization;

namespace Appliance.Update;

// What `rauc status --detailed --output-format=json` prints (RAUC's r_status_formatter_json):
//   {"compatible": ..., "variant": ..., "booted": ..., "boot_primary": ...,
//    "slots": [{"rootfs.0": {"class", "device", "type", "bootname", "state", "parent", "mountpoint",
//               "boot_status", "slot_status": {"bundle": {compatible, version, description, build, hash},
//               "checksum": {sha256, size}, "installed": {timestamp, count}, "activated": {timestamp, count},
//               "status"}}}, ...],
//    "artifact-repositories": ...}
// Each element of "slots" is an object with exactly one member, the slot's name. "slot_status" is
// only printed with --detailed, and its members only when RAUC has them (a slot flashed at the
// factory has no "installed"). Every field is nullable: RAUC writes null for what it does not know
// (bootname of a non-bootable slot, boot_status of such a slot, a missing primary), and members we
// do not read ("artifact-repositories", "checksum") are skipped by the deserializer.

/// <summary>The top level of RAUC's status JSON.</summary>
public sealed class RaucStatusJson
{
    public string? Compatible { get; set; }
    public string? Variant { get; set; }
    /// <summary>The booted slot as RAUC identified it (from rauc.slot= on the kernel command line: a bootname or slot name).</summary>
    public string? Booted { get; set; }
    public string? BootPrimary { get; set; }
    public List<Dictionary<string, RaucSlotJson>>? Slots { get; set; }
}

/// <summary>One slot's member object.</summary>
public sealed class RaucSlotJson
{
    public string? Class { get; set; }
    public string? Device { get; set; }
    public string? Type { get; set; }
    public string? Bootname { get; set; }
    /// <summary>"booted", "active" (mounted/in use, not booted) or "inactive".</summary>
    public string? State { get; set; }
    public string? Parent { get; set; }
    public string? Mountpoint { get; set; }
    /// <summary>"good" or "bad" from the bootloader (null for slots without a bootname).</summary>
    public string? BootStatus { get; set; }
    public RaucSlotStatusJson? SlotStatus { get; set; }
}

public sealed class RaucSlotStatusJson
{
    public RaucBundleJson? Bundle { get; set; }
    public RaucStampJson? Installed { get; set; }
    public RaucStampJson? Activated { get; set; }
    /// <summary>Result of the last installation into the slot ("ok", or an error).</summary>
    public string? Status { get; set; }
}

public sealed class RaucBundleJson
{
    public string? Compatible { get; set; }
    public string? Version { get; set; }
    public string? Description { get; set; }
    public string? Build { get; set; }
}

/// <summary>When and how often a slot was installed / activated; the timestamp is ISO 8601 UTC ("2026-05-01T10:00:00Z").</summary>
public sealed class RaucStampJson
{
    public string? Timestamp { get; set; }
    public long? Count { get; set; }
}

/// <summary>Source-generated JSON for RAUC's status output (no reflection in the AOT binary).</summary>
[JsonSerializable(typeof(RaucStatusJson))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class RaucJsonContext : JsonSerializerContext;
