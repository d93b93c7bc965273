#!/usr/bin/python3
"""Reads an RTSP stream with GStreamer's rtspsrc (H.264) and exits 0 once 5 buffers arrived, 1 on
an error or after 20 s. For the media-auth tests: unlike FFmpeg, whose RTSP client cuts the
user:password part of a URL at 127 characters, rtspsrc sends a JWT as the password whole.

usage: rtsp-read.py rtsp://user:password@host:port/path
"""
import sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

WANTED = 5


def main():
    Gst.init(None)
    source = Gst.ElementFactory.make("rtspsrc")
    source.set_property("location", sys.argv[1])
    source.set_property("protocols", "tcp")
    depay = Gst.ElementFactory.make("rtph264depay")
    sink = Gst.ElementFactory.make("fakesink")
    pipeline = Gst.Pipeline()
    for element in (source, depay, sink):
        pipeline.add(element)
    depay.link(sink)
    source.connect("pad-added", lambda _src, pad: pad.link(depay.get_static_pad("sink")))

    loop = GLib.MainLoop()
    received = [0]

    def on_buffer(_pad, _info):
        received[0] += 1
        if received[0] == WANTED:
            GLib.idle_add(loop.quit)
        return Gst.PadProbeReturn.OK

    def on_message(_bus, message):
        if message.type == Gst.MessageType.ERROR:
            print(message.parse_error()[0].message, file=sys.stderr)
            loop.quit()

    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.timeout_add_seconds(20, loop.quit)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    print(f"{received[0]} buffers")
    sys.exit(0 if received[0] >= WANTED else 1)


if __name__ == "__main__":
    main()
