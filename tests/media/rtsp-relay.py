#!/usr/bin/python3
"""RTSP relay in MediaMTX's media role, for the MediaMTX stand-in's tests (GstRtspServer, H.264).

Publishers:  ffmpeg ... -f rtsp [-rtsp_transport tcp] rtsp://127.0.0.1:PORT/<path>
Readers:     ffmpeg [-rtsp_transport tcp] -i rtsp://127.0.0.1:PORT/<path> ...

Same URL for both. A custom RTSPAuth.do_check() runs for every request before the mount-point
lookup and sees ctx.method, so it installs the RECORD factory for ANNOUNCE (and for later
requests of a publishing connection) and the PLAY factory for everybody else. Each connection
has mount points of its own: were they shared, a publisher's request could swap the factory
between a reader's check and its lookup, and the reader's DESCRIBE would meet the RECORD
factory (405 Method Not Allowed). Each reader gets
its own PLAY pipeline (appsrc) fed from the publisher's appsink; readers join at the next IDR
(no GOP cache, like MediaMTX).

Talks to its parent (the stand-in) in JSON lines:
  stdout, one event per line: {"event": "listening", "port": N}
    {"event": "publisher_up" | "publisher_down", "path": P, "id": ID}
    {"event": "reader_added" | "reader_removed", "path": P, "id": ID}
    {"event": "demand", "path": P}        a reader asked for an on-demand path with no publisher
    {"event": "tracks", "path": P, "tracks": [{"codec": "H264", "width": W, ...}]}
    {"event": "bytes", "path": P, "received": N, "sent": N}   twice a second while changing
    {"event": "auth", "path": P, "action": "read" | "publish", "user": U, "ip": IP, "status": N}
                                          the auth server's answer (with --auth-http-address; no password)
  stdin, one command per line:
    {"cmd": "paths", "paths": {P: {"onDemand": bool, "startTimeout": seconds}}}  (replaces all)
    {"cmd": "kick", "path": P}            close the path's publisher and readers
  EOF on stdin (the parent is gone) stops the relay: no orphan outlives the test run.

A path that is not configured gets 404. A reader of a configured path without a publisher gets
404 at once, unless the path is on demand: then, like MediaMTX holding a reader while
runOnDemand starts, its DESCRIBE waits in that client's own thread (up to startTimeout) for a
publisher, after a "demand" event tells the parent to start the command.

With --auth-http-address URL, like MediaMTX with authMethod: http: a reader's DESCRIBE (or first
SETUP) and a publisher's ANNOUNCE are let through only if a POST of MediaMTX's JSON body
{ip, user, password, token, action, path, protocol: "rtsp", id, query, userAgent} to URL answers
2xx. The user and password come from the request's Authorization: Basic header (an RTSP client
sends the credentials of its URL there once challenged); token is the password, else the query's
token= (or jwt=), as MediaMTX fills it. A refused request gets 401; when it carried no credential
at all the 401 has a Basic challenge at once (the client then retries with its credentials),
otherwise it comes after a short pause, as MediaMTX slows down guessing.

usage: rtsp-relay.py [--port 8554 (0: any free port)] [--address 127.0.0.1] [--auth-http-address URL]
"""
import base64
import argparse
import json
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)

H264_CAPS = "video/x-h264,stream-format=byte-stream,alignment=au"
_print_lock = threading.Lock()


def emit(event, **fields):
    """One JSON event per line on stdout; several client threads print, hence the lock."""
    with _print_lock:
        print(json.dumps(dict(event=event, **fields)), flush=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Path:
    def __init__(self, name):
        self.name = name
        self.on_demand = False
        self.start_timeout = 10.0
        self.lock = threading.Lock()
        self.publisher_ready = threading.Condition(self.lock)  # readers on hold wait here
        self.readers = {}             # appsrc element of a live PLAY medium -> reader id
        self.publishing = 0           # number of prepared RECORD media
        self.publisher_id = None
        self.received = self.sent = 0
        self.reported = (0, 0)

        self.rec = GstRtspServer.RTSPMediaFactory()
        self.rec.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
        self.rec.set_launch(
            "( rtph264depay name=depay0 ! h264parse name=parse config-interval=-1 ! "
            f"{H264_CAPS} ! appsink name=sink emit-signals=true sync=false "
            "max-buffers=200 drop=true )")
        self.rec.set_latency(0)
        self.rec.connect("media-configure", self.on_rec_configure)

        self.play = GstRtspServer.RTSPMediaFactory()
        self.play.set_shared(False)
        self.play.set_launch(
            "( appsrc name=src is-live=true format=time do-timestamp=true "
            f"caps={H264_CAPS} max-bytes=20000000 ! h264parse ! {H264_CAPS} ! "
            "rtph264pay name=pay0 pt=96 )")
        self.play.connect("media-configure", self.on_play_configure)

    # --- publisher side ---
    def on_rec_configure(self, factory, media):
        element = media.get_element()
        sink = element.get_by_name("sink")
        sink.connect("new-sample", self.on_sample)
        sink.connect("eos", lambda *_: self.end_readers())
        # the parser's output caps carry the picture size, profile and level once known
        element.get_by_name("parse").get_static_pad("src").connect("notify::caps", self.on_caps)
        media.connect("prepared", self.on_rec_prepared)
        media.connect("unprepared", self.on_rec_unprepared)

    def on_rec_prepared(self, media):
        with self.lock:
            self.publisher_id = str(uuid.uuid4())
            self.received = self.sent = 0
            self.reported = (0, 0)
            # Told before any reader can see it (as MediaMTX's path is ready before it takes a
            # reader): a woken reader's "reader_added" must not reach the parent first, which
            # would count it and then drop it with the new publisher's empty stream.
            emit("publisher_up", path=self.name, id=self.publisher_id)
            self.publishing += 1
            self.publisher_ready.notify_all()

    def on_rec_unprepared(self, media):
        with self.lock:
            self.publishing = max(0, self.publishing - 1)
            publisher_id, received, sent = self.publisher_id, self.received, self.sent
        emit("bytes", path=self.name, received=received, sent=sent)
        emit("publisher_down", path=self.name, id=publisher_id)
        self.end_readers()

    def on_caps(self, pad, _param):
        caps = pad.get_current_caps()
        if caps is None or caps.get_size() == 0:
            return
        s = caps.get_structure(0)
        track = {"codec": "H264"}
        for key in ("width", "height"):
            ok, value = s.get_int(key)
            if ok:
                track[key] = value
        for key in ("profile", "level"):
            if s.has_field(key):
                track[key] = s.get_string(key)
        emit("tracks", path=self.name, tracks=[track])

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        with GI_LOCK:  # struct fields (pts, dts): see Router.do_check
            buf = sample.get_buffer().copy()
            buf.pts = Gst.CLOCK_TIME_NONE  # restamped by appsrc do-timestamp
            buf.dts = Gst.CLOCK_TIME_NONE
        with self.lock:
            readers = list(self.readers)
            self.received += buf.get_size()
            self.sent += buf.get_size() * len(readers)
        for src in readers:
            src.emit("push-buffer", buf)
        return Gst.FlowReturn.OK

    def report_bytes(self):
        with self.lock:
            counters = (self.received, self.sent)
            changed = counters != self.reported and self.publishing > 0
            self.reported = counters
        if changed:
            emit("bytes", path=self.name, received=counters[0], sent=counters[1])

    def end_readers(self):
        with self.lock:
            readers = list(self.readers)
        for src in readers:
            src.emit("end-of-stream")

    # --- reader side ---
    def on_play_configure(self, factory, media):
        src = media.get_element().get_by_name("src")
        reader_id = str(uuid.uuid4())
        with self.lock:
            self.readers[src] = reader_id
        emit("reader_added", path=self.name, id=reader_id)
        media.connect("unprepared", lambda m: self.drop_reader(src))
        media.connect("prepared", lambda m: self.check_reader_caps(m, reader_id))

    def check_reader_caps(self, media, reader_id):
        """The SDP of a DESCRIBE is built from each stream's caps once the medium is prepared: a
        stream without caps is left out of it, and the reader is told of a stream with no track."""
        for i in range(media.n_streams()):
            if media.get_stream(i).get_caps() is None:
                log(f"[{self.name}] reader {reader_id}: stream {i} has no caps when prepared; its SDP has no track for it")

    def drop_reader(self, src):
        with self.lock:
            reader_id = self.readers.pop(src, None)
        if reader_id is not None:
            emit("reader_removed", path=self.name, id=reader_id)

    def wait_for_publisher(self):
        """Holds a reader of an on-demand path (in its client's thread) until a publisher is up."""
        with self.lock:
            if self.publishing > 0 or not self.on_demand:
                return
            timeout = self.start_timeout
        emit("demand", path=self.name)
        with self.lock:
            self.publisher_ready.wait_for(lambda: self.publishing > 0, timeout)


class Router(GstRtspServer.RTSPAuth):
    """Not authentication: picks the factory per request (runs pre-lookup)."""

    def __init__(self, auth_http_address=None):
        super().__init__()
        self.auth_http_address = auth_http_address
        self.allowed = set()  # (client, action) the auth server allowed (MediaMTX asks once per session)
        self.client_ids = {}  # client -> its id in auth requests (MediaMTX's connection UUID)
        self.paths = {}       # name -> Path, set by the parent's "paths" command
        self.publishers = {}  # client that sent ANNOUNCE -> Path
        self.mounts = {}      # client -> its own RTSPMountPoints
        self.lock = threading.Lock()

    def connected(self, client):
        """Gives a new connection mount points of its own (before its first request)."""
        mounts = GstRtspServer.RTSPMountPoints()
        client.set_mount_points(mounts)
        with self.lock:
            self.mounts[client] = mounts

    def configure(self, paths):
        with self.lock:
            for name, conf in paths.items():
                path = self.paths.get(name) or Path(name)
                path.on_demand = bool(conf.get("onDemand"))
                path.start_timeout = float(conf.get("startTimeout", 10))
                self.paths[name] = path
            gone = [name for name in self.paths if name not in paths]
        for name in gone:
            self.kick(name)
            with self.lock:
                self.paths.pop(name, None)
                for mounts in self.mounts.values():
                    mounts.remove_factory("/" + name)

    def kick(self, name):
        with self.lock:
            path = self.paths.get(name)
            clients = [c for c, p in self.publishers.items() if p is path]
        if path is None:
            return
        for client in clients:
            client.close()
        path.end_readers()

    def do_check(self, ctx, check):
        # The request's fields are read once, under GI_LOCK: PyGObject builds a boxed struct's field
        # accessors on first use, and two client threads doing that at once intermittently got
        # "AttributeError: 'RTSPUrl' object has no attribute 'abspath'" (the request was then refused
        # as "not allowed"; seen in the eight-camera VM test, nine times in one run).
        with GI_LOCK:
            if check != "auth.check.url" or ctx.uri is None:
                return True
            request = Request(ctx.uri.abspath, ctx.uri.query or "", ctx.method, ctx.client, ctx.session, ctx.request)
        with self.lock:
            path = self.find(request.abspath)
            client = request.client
            is_reader = client not in self.publishers
        if path is None:
            return True  # not configured -> 404 from the mount lookup
        if self.auth_http_address and request.method in AUTHENTICATED_METHODS:
            action = "read" if is_reader and request.method != GstRtsp.RTSPMethod.ANNOUNCE else "publish"
            with self.lock:
                known = (client, action) in self.allowed
            if not known:
                if not self.authorize(request, path, action):
                    return False  # the 401 is sent
                with self.lock:
                    self.allowed.add((client, action))
        if is_reader and request.method == GstRtsp.RTSPMethod.DESCRIBE:
            path.wait_for_publisher()  # on-demand paths only; outside the router's lock
        mount = "/" + path.name
        kick = []
        with self.lock:
            mounts = self.mounts.get(client)
            if mounts is None:
                return True  # not seen connecting: nothing mounted for it -> 404
            if request.method == GstRtsp.RTSPMethod.ANNOUNCE:
                # like MediaMTX overridePublisher=yes: new publisher kicks old
                kick = [c for c, p in self.publishers.items()
                        if p is path and c is not client]
                for c in kick:
                    del self.publishers[c]
                self.publishers[client] = path
            if client in self.publishers:
                mounts.add_factory(mount, path.rec)
            elif path.publishing > 0:
                mounts.add_factory(mount, path.play)
            else:
                mounts.remove_factory(mount)  # no publisher -> 404
        for c in kick:  # outside the lock: close() emits "closed" -> forget()
            log(f"[{path.name}] new publisher replaces old one")
            c.close()
        return True

    def authorize(self, request, path, action):
        """Asks the auth server as MediaMTX would; on a refusal answers 401 itself."""
        with GI_LOCK:
            user, password = basic_credentials(header(request.message, GstRtsp.RTSPHeaderField.AUTHORIZATION))
            user_agent = header(request.message, GstRtsp.RTSPHeaderField.USER_AGENT)
            ip = request.client.get_connection().get_ip()
        query = request.query
        token = password or query_token(query)
        with self.lock:
            conn_id = self.client_ids.setdefault(request.client, str(uuid.uuid4()))
        body = {"ip": ip, "user": user, "password": password, "token": token, "action": action,
                "path": path.name, "protocol": "rtsp", "id": conn_id, "query": query,
                "userAgent": user_agent}
        status = post_json(self.auth_http_address, body)
        emit("auth", path=path.name, action=action, user=user, ip=ip, status=status)
        if 200 <= status <= 299:
            return True
        challenge = not user and not password and not token
        if not challenge:
            time.sleep(0.2)  # MediaMTX pauses up to 4 s after wrong credentials
        with GI_LOCK:
            _, response = GstRtsp.rtsp_message_new_response(GstRtsp.RTSPStatusCode.UNAUTHORIZED, "Unauthorized", request.message)
            if challenge:
                response.add_header(GstRtsp.RTSPHeaderField.WWW_AUTHENTICATE, 'Basic realm="mediamtx"')
        request.client.send_message(request.session, response)
        return False

    def find(self, abspath):
        """The longest configured name that the URL path starts with: SETUP requests carry a
        track suffix (/cams/front/stream=0), and names may contain slashes."""
        parts = abspath.strip("/").split("/")
        for end in range(len(parts), 0, -1):
            path = self.paths.get("/".join(parts[:end]))
            if path is not None:
                return path
        return None

    def forget(self, client):
        with self.lock:
            self.allowed = {(c, a) for c, a in self.allowed if c is not client}
            self.client_ids.pop(client, None)
            self.publishers.pop(client, None)
            self.mounts.pop(client, None)

    def report_bytes(self):
        with self.lock:
            paths = list(self.paths.values())
        for path in paths:
            path.report_bytes()
        return True  # keep the GLib timeout


GI_LOCK = threading.Lock()  # see Router.do_check


class Request:
    """What do_check needs of one RTSP request, read out of its RTSPContext under GI_LOCK."""

    def __init__(self, abspath, query, method, client, session, message):
        self.abspath, self.query, self.method = abspath, query, method
        self.client, self.session, self.message = client, session, message


AUTHENTICATED_METHODS = (GstRtsp.RTSPMethod.DESCRIBE, GstRtsp.RTSPMethod.ANNOUNCE, GstRtsp.RTSPMethod.SETUP)


def header(message, field):
    ok, value = message.get_header(field, 0)
    return value if ok == GstRtsp.RTSPResult.OK and value else ""


def basic_credentials(authorization):
    """user, password of an Authorization: Basic header ("", "" otherwise)."""
    if not authorization.lower().startswith("basic "):
        return "", ""
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
    except ValueError:
        return "", ""
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else ("", "")


def query_token(query):
    values = urllib.parse.parse_qs(query)
    for key in ("token", "jwt"):
        if len(values.get(key, [])) == 1:
            return values[key][0]
    return ""


NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the auth server is local


def post_json(url, body):
    """The HTTP status of a JSON POST; 0 when there is no answer (which refuses, as in MediaMTX)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with NO_PROXY.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError) as e:
        log(f"auth server unreachable: {e}")
        return 0


def read_commands(router, loop):
    """The parent's commands, one JSON object per line; EOF means the parent is gone."""
    for line in sys.stdin:
        try:
            command = json.loads(line)
        except ValueError:
            log(f"ignored a line that is not JSON: {line!r}")
            continue
        if command.get("cmd") == "paths":
            GLib.idle_add(lambda c=command: router.configure(c["paths"]) and False)
        elif command.get("cmd") == "kick":
            GLib.idle_add(lambda c=command: router.kick(c["path"]) and False)
    GLib.idle_add(loop.quit)


def warm_up_bindings():
    """Touches, in the main thread before any client thread runs, the struct fields the client threads
    read, so PyGObject has built their accessors already (see Router.do_check)."""
    ok, url = GstRtsp.RTSPUrl.parse("rtsp://127.0.0.1:1/warm/up?token=x")
    if ok == GstRtsp.RTSPResult.OK:
        _ = (url.abspath, url.query)
    buf = Gst.Buffer.new()
    buf.pts = buf.dts = Gst.CLOCK_TIME_NONE
    _ = buf.get_size()


def main():
    warm_up_bindings()
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", default="8554")
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--auth-http-address", default=None)
    args = ap.parse_args()

    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(args.port)
    # one thread per client: a reader's DESCRIBE blocks until the first IDR arrives (or, on
    # demand, until a publisher comes), which must not stall any other client
    server.get_thread_pool().set_max_threads(-1)
    router = Router(args.auth_http_address)
    server.set_auth(router)

    def on_client(_server, client):
        router.connected(client)
        client.connect("closed", router.forget)
    server.connect("client-connected", on_client)
    if server.attach(None) == 0:
        log("failed to bind")
        sys.exit(1)

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    GLib.timeout_add(500, router.report_bytes)
    threading.Thread(target=read_commands, args=(router, loop), daemon=True).start()
    emit("listening", port=server.get_bound_port())
    loop.run()


if __name__ == "__main__":
    main()
