namespace Appliance.Tests.Media.Repair;

/// <summary>
/// Where a recording's frames are, from ffprobe's packet positions (not from the code under
/// test): the oracle for what a repair must keep. A fragment (MP4 moof+mdat) or cluster
/// (Matroska) starts at every keyframe: FFmpeg's frag_keyframe cuts fragments there, and its
/// Matroska muxer starts a cluster at a video keyframe. A packet ends where the next thing
/// starts: an MP4 sample at pos+size (pos is where its bytes are in the mdat), a Matroska block
/// 4 bytes later (pos is the SimpleBlock's data, which starts with the track number (1 byte
/// here), a 16-bit timestamp and a flags byte before the frame: RFC 9559 §10.2).
/// </summary>
public sealed class FragmentMap
{
    private FragmentMap(IReadOnlyList<Packet> packets, int blockHeader)
    {
        Packets = packets;
        BlockHeader = blockHeader;
        var groups = new List<FragmentSpan>();
        foreach (var p in packets)
        {
            var end = p.Position + p.Size + blockHeader;
            if (p.Key || groups.Count == 0) groups.Add(new FragmentSpan(p.Position, end, 1));
            else groups[^1] = groups[^1] with { End = Math.Max(groups[^1].End, end), Frames = groups[^1].Frames + 1 };
        }
        Fragments = groups;
    }

    public IReadOnlyList<Packet> Packets { get; }

    public int BlockHeader { get; }

    /// <summary>Keyframe intervals: where their first frame starts, where their last frame ends, how many frames.</summary>
    public IReadOnlyList<FragmentSpan> Fragments { get; }

    public int TotalFrames => Packets.Count;

    public long End(Packet p) => p.Position + p.Size + BlockHeader;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, FragmentMap> Cache = new(StringComparer.Ordinal);

    /// <summary>The map of a file, read once per content (the tests cut the same recordings many times).</summary>
    public static FragmentMap Of(string path) =>
        Cache.GetOrAdd(Ffprobe.Hash(path) + Path.GetExtension(path), _ => new(Ffprobe.Packets(path), path.EndsWith(".mkv", StringComparison.Ordinal) ? 4 : 0));

    /// <summary>What stays of a file cut at <paramref name="cut"/> when only whole fragments stay: frames, and the end of the last one (0 for none).</summary>
    public (int Frames, long End) WholeFragmentsBefore(long cut)
    {
        int frames = 0;
        long end = 0;
        foreach (var f in Fragments)
        {
            if (f.End > cut) break;
            frames += f.Frames;
            end = f.End;
        }
        return (frames, end);
    }

    /// <summary>What stays when every complete block stays (clusters of unknown size).</summary>
    public (int Frames, long End) WholeBlocksBefore(long cut)
    {
        int frames = 0;
        long end = 0;
        foreach (var p in Packets)
        {
            if (End(p) > cut) break;
            frames++;
            end = End(p);
        }
        return (frames, end);
    }
}

/// <param name="Start">Where its first frame's bytes start (after the moof and mdat header / cluster header).</param>
/// <param name="End">Where its last frame's bytes end: where the next fragment (or the index) begins.</param>
public sealed record FragmentSpan(long Start, long End, int Frames);
