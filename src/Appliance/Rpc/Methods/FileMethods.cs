using System.Globalization;
using System.Text.Json.Serialization;
using Appliance.Media.Recordings;
using Appliance.Security;
using Appliance.Storage;

namespace Appliance.Rpc.Methods;

// File entries carry size_bytes, the copy of file_size the original SDK models read.
/// <param name="Options">codec, quality and format as the client asked for them, for files this service recorded (null for others).</param>
public sealed record RecordingEntry(string Filename, long FileSize, string ModifiedTime, string DownloadUrl, long SizeBytes, double? Duration,
    RequestedOptions? Options);

public sealed record SnapshotEntry(string Filename, long FileSize, string ModifiedTime, string DownloadUrl, long SizeBytes);

public sealed record RecordingListResult(List<RecordingEntry> Files, int Total, int Limit, int Offset);

public sealed record SnapshotListResult(List<SnapshotEntry> Files, int Total, int Limit, int Offset);

/// <param name="Codec">The video codec ffprobe finds in the file (h264, hevc, ...).</param>
/// <param name="Bitrate">Bits per second of the video stream (else of the whole file), from ffprobe.</param>
/// <param name="Resolution">"WxH" from ffprobe.</param>
/// <param name="Options">codec, quality and format as the client asked for them, for files this service recorded (null for others).</param>
/// <param name="Reason">Why the writing of this file ended (stopped_by_client, recorder_stalled, ...), when the service saw it end.</param>
public sealed record RecordingInfoResult(string Filename, long FileSize, double? Duration, string CreatedTime, string ModifiedTime, string DownloadUrl, long SizeBytes,
    string? Codec, long? Bitrate, string? Resolution, RequestedOptions? Options,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RecordingId = null);

public sealed record SnapshotInfoResult(string Filename, long FileSize, string? Resolution, string CreatedTime, string ModifiedTime, string DownloadUrl, long SizeBytes);

public sealed record DeleteFileResult(string Filename, bool Deleted, string Message);

/// <summary>
/// list_recordings, list_snapshots, get_recording_info, get_snapshot_info (viewer) and
/// delete_recording, delete_snapshot (operator). Every bad or unknown <c>filename</c> is -32602
/// with <c>data.field = "filename"</c> (the contract has no "file not found" code); the message
/// says which: "Invalid params: 'filename' must not contain '..'", "Recording not found: x.mp4",
/// "x.mp4 is being recorded; stop the recording first".
/// </summary>
public sealed class FileMethods(FileCatalog catalog, RecordingEndLog? ends = null)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public void Register(RpcMethodTable table)
    {
        table.Add("list_recordings", Role.Viewer, async call =>
        {
            var (limit, offset) = Paging(call);
            var page = catalog.List(MediaKind.Recording, limit, offset);
            var infos = await Task.WhenAll(page.Files.Select(f => catalog.Probe.ProbeAsync(f, call.Cancellation)));
            var entries = page.Files.Select((f, i) => new RecordingEntry(f.Name, f.Size, Iso(f.Modified), Url(f), f.Size, infos[i].Duration,
                ends?.Find(f.Name)?.Options)).ToList();
            return RpcResult.From(new RecordingListResult(entries, page.Total, limit, offset), FileJsonContext.Default.RecordingListResult);
        });
        table.Add("list_snapshots", Role.Viewer, call =>
        {
            var (limit, offset) = Paging(call);
            var page = catalog.List(MediaKind.Snapshot, limit, offset);
            var entries = page.Files.Select(f => new SnapshotEntry(f.Name, f.Size, Iso(f.Modified), Url(f), f.Size)).ToList();
            return ValueTask.FromResult(RpcResult.From(new SnapshotListResult(entries, page.Total, limit, offset), FileJsonContext.Default.SnapshotListResult));
        });
        table.Add("get_recording_info", Role.Viewer, async call =>
        {
            var f = Find(call, MediaKind.Recording);
            var info = await catalog.Probe.ProbeAsync(f, call.Cancellation);
            var end = ends?.Find(f.Name);
            return RpcResult.From(new RecordingInfoResult(f.Name, f.Size, info.Duration, Iso(f.Created), Iso(f.Modified), Url(f), f.Size,
                info.Codec, info.Bitrate, info.Resolution, end?.Options, end?.Reason, end?.Error, end?.SessionId),
                FileJsonContext.Default.RecordingInfoResult);
        });
        table.Add("get_snapshot_info", Role.Viewer, async call =>
        {
            var f = Find(call, MediaKind.Snapshot);
            var info = await catalog.Probe.ProbeAsync(f, call.Cancellation);
            return RpcResult.From(new SnapshotInfoResult(f.Name, f.Size, info.Resolution, Iso(f.Created), Iso(f.Modified), Url(f), f.Size),
                FileJsonContext.Default.SnapshotInfoResult);
        });
        table.Add("delete_recording", Role.Operator, call => Delete(call, MediaKind.Recording));
        table.Add("delete_snapshot", Role.Operator, call => Delete(call, MediaKind.Snapshot));
    }

    private static (int Limit, int Offset) Paging(RpcCall call) =>
        ((int)(call.OptionalInteger("limit", 1, MaxLimit) ?? DefaultLimit), (int)(call.OptionalInteger("offset", 0, int.MaxValue) ?? 0));

    private StoredFile Find(RpcCall call, MediaKind kind)
    {
        var lookup = catalog.Find(kind, FileNameParam(call));
        return lookup.Status switch
        {
            LookupStatus.Found => lookup.File!,
            LookupStatus.InvalidName => throw RpcException.InvalidParams("filename", lookup.Message),
            _ => throw new RpcException(RpcErrorCode.InvalidParams, lookup.Message, "filename", lookup.Detail),
        };
    }

    private ValueTask<RpcResult> Delete(RpcCall call, MediaKind kind)
    {
        var outcome = catalog.Delete(kind, FileNameParam(call));
        return outcome.Status switch
        {
            DeleteStatus.Deleted => ValueTask.FromResult(RpcResult.From(new DeleteFileResult(outcome.File!.Name, true, outcome.Message), FileJsonContext.Default.DeleteFileResult)),
            DeleteStatus.InvalidName => throw RpcException.InvalidParams("filename", outcome.Message),
            _ => throw new RpcException(RpcErrorCode.InvalidParams, outcome.Message, "filename", outcome.Detail),
        };
    }

    /// <summary>The raw <c>filename</c> (SafeFileName judges it); a non-string is -32602 here.</summary>
    private static string? FileNameParam(RpcCall call) => call.OptionalString("filename", maxLength: 4096);

    private static string Url(StoredFile f) => MediaKinds.DownloadUrl(f.Kind, f.Name);

    /// <summary>ISO 8601 UTC with Z, milliseconds (the contract's time format).</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
