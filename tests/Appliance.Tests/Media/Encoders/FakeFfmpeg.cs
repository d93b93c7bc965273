using System.Text;
using Appliance.Media.Ffmpeg;
using Appliance.Processes;
using Appliance.Tests.Support;

namespace Appliance.Tests.Media.Encoders;

/// <summary>What the stand-in does when asked to encode with one encoder.</summary>
public enum FakeEncoder
{
    /// <summary>Opens and encodes: exit 0, as FFmpeg does with a working encoder and "-f null".</summary>
    Works,
    /// <summary>A V4L2 encoder FFmpeg was built with but no device behind it: FFmpeg 5.1's own lines, exit 1.</summary>
    NoDevice,
    /// <summary>An encoder this build does not have: "Unknown encoder 'x'", exit 1.</summary>
    Unknown,
    /// <summary>Never finishes (a wedged driver): only a timeout ends it.</summary>
    Hangs,
    /// <summary>A hardware encoder that works, emulated by the real FFmpeg with libx264 (it takes the same -b:v and -g).</summary>
    EmulatedWithLibx264,
}

/// <summary>
/// A stand-in for the <c>ffmpeg</c> program, for what cannot run here: a board whose encoders differ
/// from this machine's (a Raspberry Pi's V4L2 H.264 encoder; an FFmpeg built without x265). A shell
/// script that finds the encoder after <c>-c:v</c> as FFmpeg parses it, answers for the encoders it
/// was told about as FFmpeg 5.1 does (exit status and stderr text copied from the real program),
/// and runs the real FFmpeg for everything else. Every invocation's arguments are logged.
/// </summary>
public sealed class FakeFfmpeg
{
    /// <param name="missingMuxers">Muxers this build lacks (FFmpeg's "not a suitable output format", and "Unknown format" for -h).</param>
    public FakeFfmpeg(TestDirectory dir, IReadOnlyDictionary<string, FakeEncoder> encoders, params string[] missingMuxers)
    {
        var real = ExecutableResolver.Resolve("ffmpeg") ?? throw new InvalidOperationException("the real ffmpeg is needed");
        Log = dir.File("ffmpeg-calls.log");
        var script = new StringBuilder($$"""
            #!/bin/bash
            # FFmpeg stand-in (tests/Appliance.Tests/Media/Encoders/FakeFfmpeg.cs).
            printf '%s\n' "$*" >> '{{Log}}'
            enc=""; prev=""
            for a in "$@"; do if [ "$prev" = "-c:v" ]; then enc="$a"; fi; prev="$a"; done

            """);
        foreach (var muxer in missingMuxers)
            script.Append($$"""
                prev=""
                for a in "$@"; do
                  if [ "$a" = "muxer={{muxer}}" ]; then echo "Unknown format '{{muxer}}'."; exit 0; fi
                  if [ "$prev" = "-f" ] && [ "$a" = "{{muxer}}" ]; then
                    echo "[NULL @ 0x55a7d9fe8380] Requested output format '{{muxer}}' is not a suitable output format" >&2
                    echo "pipe:1: Invalid argument" >&2
                    exit 1
                  fi
                  prev="$a"
                done

                """);
        script.Append("case \"$enc\" in\n");
        foreach (var (name, behaviour) in encoders)
        {
            script.Append($"  {name})\n");
            script.Append(behaviour switch
            {
                FakeEncoder.Works => "    exit 0 ;;\n",
                FakeEncoder.NoDevice => $"""
                        echo "[{name} @ 0x55ad20be4300] Could not find a valid device" >&2
                        echo "[{name} @ 0x55ad20be4300] can't configure encoder" >&2
                        echo "Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height" >&2
                        exit 1 ;;

                    """,
                FakeEncoder.Unknown => $"    echo \"Unknown encoder '{name}'\" >&2\n    exit 1 ;;\n",
                FakeEncoder.Hangs => "    exec sleep 60 ;;\n",
                _ => $$"""
                        args=(); for a in "$@"; do if [ "$a" = "{{name}}" ]; then args+=("libx264"); else args+=("$a"); fi; done
                        exec '{{real}}' "${args[@]}" ;;

                    """,
            });
        }
        script.Append($"esac\nexec '{real}' \"$@\"\n");
        Path = dir.Write("ffmpeg", script.ToString());
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The script: give it as ffmpeg.path.</summary>
    public string Path { get; }

    /// <summary>One line per invocation: its arguments, space-separated.</summary>
    public string Log { get; }

    public IReadOnlyList<string> Calls => File.Exists(Log) ? File.ReadAllLines(Log) : [];
}
