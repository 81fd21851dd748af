#!/usr/bin/python3
"""Janus (Debian's `janus` 1.1) as a peer forwarder for bench/fanout.py.

Starts its own Janus with only the VideoRoom plugin and the HTTP transport, creates a room, adds
a remote publisher listening for plain RTP on PORT (VideoRoom's cascading feature, 1.1+), and
adds one `rtp_forward` per output, to RECV_PORT, RECV_PORT + 1, ... Then it waits; SIGTERM
stops Janus. What fan-out costs Janus is then what fanout.py measures, as for the others:

  bench/fanout.py --bin build/bin --forwarders relay,plain,janus

A remote publisher tells its streams apart by SSRC (1000 + 10 x mindex), so the load tool must
send video with SSRC 1000 (`--video-ssrc 1000`). Janus forwards each copy with its own
`sendto`, from the publisher's receiving thread.

With --srtp each forward encrypts (AES_CM_128_HMAC_SHA1_80) with a key of its own,
forward_key(i), as a forwarder must when every output is a different peer. With --srtp-shared
they all take forward_key(0): Janus then shares one SRTP context between them and encrypts each
packet once for all (janus_videoroom_srtp_context), so that measures something else. The input
stays plain RTP: Debian's Janus 1.1 cannot decrypt SRTP into a remote publisher (that came in
a later release, janus-gateway pull request 3449); one decryption per input packet would be
small beside 100 encryptions.

bench/fanout.py runs this itself as the forwarders `janus` and `janus-srtp`.

Usage: janus_peer.py PORT RECV_PORT VIEWERS [--srtp | --srtp-shared] [--janus /usr/bin/janus]
Prints "ready" on stdout once every forward is in place. Exit status 0 after SIGTERM; 1 when
Janus did not start or refused a request.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PLUGINS_DIR = "/usr/lib/x86_64-linux-gnu/janus/plugins"
TRANSPORTS_DIR = "/usr/lib/x86_64-linux-gnu/janus/transports"
ROOM = 4242
START_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 5.0
REMOTE_VIDEO_MID = "0"
SRTP_TAG_BITS = 80  # AES_CM_128_HMAC_SHA1_80


def forward_key(i):
    """Output i's AES_CM_128_HMAC_SHA1_80 master key + salt (30 bytes), distinct for i < 256."""
    return bytes((b + i) % 256 for b in range(1, 31))


def log(message):
    sys.stderr.write(f"janus_peer: {message}\n")
    sys.stderr.flush()


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(folder, http_port):
    """janus.jcfg with every plugin but VideoRoom and every transport but HTTP disabled."""
    keep_plugins, keep_transports = {"libjanus_videoroom.so"}, {"libjanus_http.so"}

    def others(directory, keep):
        return ",".join(sorted(f for f in os.listdir(directory)
                               if f.endswith(".so") and f not in keep))

    files = {
        "janus.jcfg": f"""
general: {{
  configs_folder = "{folder}"
  plugins_folder = "{PLUGINS_DIR}"
  transports_folder = "{TRANSPORTS_DIR}"
  debug_level = 3
  log_to_stdout = true
}}
media: {{ }}
nat: {{ ice_lite = true }}
plugins: {{ disable = "{others(PLUGINS_DIR, keep_plugins)}" }}
transports: {{ disable = "{others(TRANSPORTS_DIR, keep_transports)}" }}
events: {{ broadcast = false }}
loggers: {{ }}
""",
        "janus.transport.http.jcfg": f"""
general: {{
  json = "compact"
  base_path = "/janus"
  http = true
  port = {http_port}
  ip = "127.0.0.1"
  https = false
}}
admin: {{ admin_http = false }}
""",
        "janus.plugin.videoroom.jcfg": "general: { }\n",
    }
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


class JanusApi:
    def __init__(self, http_port):
        self.base = f"http://127.0.0.1:{http_port}/janus"
        self.transaction = 0

    def call(self, path, body):
        self.transaction += 1
        body = dict(body, transaction=f"t{self.transaction}")
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as res:
            return json.loads(res.read())

    def plugin(self, session, handle, request):
        reply = self.call(f"/{session}/{handle}", {"janus": "message", "body": request})
        data = reply.get("plugindata", {}).get("data", {})
        if reply.get("janus") != "success" or data.get("error_code"):
            raise RuntimeError(f"{request['request']}: {json.dumps(reply)[:400]}")
        return data


def wait_ready(api, proc):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"janus exited with {proc.returncode}")
        try:
            reply = api.call("", {"janus": "create"})
            if reply.get("janus") == "success":
                return reply["data"]["id"]
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"janus did not answer within {START_TIMEOUT_S} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("port", type=int, help="where the remote publisher receives RTP")
    ap.add_argument("recv_port", type=int, help="the first output port")
    ap.add_argument("viewers", type=int, help="the number of outputs (rtp_forwards)")
    ap.add_argument("--janus", default=shutil.which("janus") or "/usr/bin/janus")
    ap.add_argument("--janus-log", help="write Janus's own output here")
    ap.add_argument("--srtp", action="store_true", help="each forward encrypts, with its own key")
    ap.add_argument("--srtp-shared", action="store_true", help="every forward with one key")
    args = ap.parse_args()
    if not os.path.exists(args.janus):
        log(f"{args.janus} not found: apt-get install janus")
        return 1

    folder = tempfile.mkdtemp(prefix="janus-peer-")
    http_port = free_tcp_port()
    write_config(folder, http_port)
    out = open(args.janus_log, "w") if args.janus_log else subprocess.DEVNULL
    proc = subprocess.Popen([args.janus, "-F", folder, "-C", os.path.join(folder, "janus.jcfg")],
                            stdout=out, stderr=subprocess.STDOUT)

    def stop(*_):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        api = JanusApi(http_port)
        session = wait_ready(api, proc)
        handle = api.call(f"/{session}", {"janus": "attach",
                                          "plugin": "janus.plugin.videoroom"})["data"]["id"]
        api.plugin(session, handle, {"request": "create", "room": ROOM, "publishers": 1,
                                     "videocodec": "vp8"})
        def srtp(i):
            if not (args.srtp or args.srtp_shared):
                return {}
            key = forward_key(0 if args.srtp_shared else i)
            return {"srtp_suite": SRTP_TAG_BITS, "srtp_crypto": base64.b64encode(key).decode()}

        remote = api.plugin(session, handle, {
            "request": "add_remote_publisher", "room": ROOM, "port": args.port,
            "iface": "127.0.0.1",
            "streams": [{"type": "video", "mindex": 0, "mid": REMOTE_VIDEO_MID, "codec": "vp8"}]})
        publisher = remote["id"]
        # The remote publisher joins its room from its own thread, after the answer: wait until
        # the room lists it, or the first rtp_forward may find no such feed.
        deadline = time.monotonic() + START_TIMEOUT_S
        while not any(p.get("id") == publisher for p in api.plugin(
                session, handle, {"request": "listparticipants", "room": ROOM}).get(
                    "participants", [])):
            if time.monotonic() > deadline:
                raise RuntimeError("the remote publisher never joined its room")
            time.sleep(0.01)
        for i in range(args.viewers):
            api.plugin(session, handle, dict({
                "request": "rtp_forward", "room": ROOM, "publisher_id": publisher,
                "host": "127.0.0.1",
                "streams": [{"mid": REMOTE_VIDEO_MID, "port": args.recv_port + i}]}, **srtp(i)))
        log(f"room {ROOM}: remote publisher {publisher} on port {remote.get('port')}, "
            f"{args.viewers} forwards from port {args.recv_port}{', SRTP' if srtp(0) else ''}")
        print("ready", flush=True)
    except (RuntimeError, OSError, KeyError, ValueError) as e:
        log(f"setup failed: {e}")
        proc.terminate()
        shutil.rmtree(folder, ignore_errors=True)
        return 1
    # Janus ends an HTTP session after 60 s without a request: keep it alive while measured.
    while proc.poll() is None:
        time.sleep(20)
        try:
            api.call(f"/{session}", {"janus": "keepalive"})
        except OSError:
            pass
    log(f"janus exited with {proc.returncode}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
