#!/usr/bin/python3
"""RTP ingest from ffmpeg, watched with WHEP by aiortc: two independent stacks around Switchyard.

POST /api/ingest/{stream} asks for a plain RTP transport per track (optionally SRTP). ffmpeg,
fed raw frames that carry their counter (whip_aiortc.py's layout) and a 440 Hz tone, encodes
VP8 and Opus and sends them as RTP (or SRTP with the keys from the 201) to the ports in the
answer. aiortc viewers POST WHEP offers and must decode the frames with the right counters and
colour bars and hear the tone. Then the ingest is deleted while ffmpeg keeps sending: the viewers
must stop receiving; their sessions are deleted and the workers must free every router.

Usage (see README.md):
  /usr/bin/python3 ingest_ffmpeg.py --server http://127.0.0.1:8080 --stream cam [--srtp] \
      --viewers 2 --seconds 5 --json out.json

Prints a JSON report; exit status 0 only when every check passed, 1 when a check failed,
2 on bad usage, 3 on the hard timeout's last resort.
"""

import argparse
import asyncio
import json
import shutil
import subprocess
import threading
import time
import urllib.parse

from whip_aiortc import (  # the viewer, the frame layout and the HTTP helpers are shared
    HEIGHT,
    MIN_VALID_FRAMES,
    STOP_OBSERVE_S,
    WIDTH,
    Failure,
    background,
    check_workers_freed,
    delete_session,
    delete_viewers,
    draw_counter,
    http,
    join_viewers,
    run_and_report,
    run_scenario,
    session_stats,
)

FPS = 30
KEYFRAME_INTERVAL = 30  # frames: ffmpeg answers no PLI, so a joining viewer waits at most 1 s
VIDEO_BITRATE = "1M"  # enough for the counter blocks to survive VP8 at 320x240
PKT_SIZE = 1200  # RTP packet size limit, as WebRTC senders use
SRTP_SUITE = "AES_CM_128_HMAC_SHA1_80"  # the one ffmpeg's SRTP supports besides _32
INGEST_SETTLE_S = 3.0  # how long the first RTP packets may take to show in /api/streams
POLL_S = 0.05
DEFAULT_HARD_TIMEOUT_S = 120.0
FFMPEG_STOP_TIMEOUT_S = 5.0


class FramePump:
    """Writes counter frames to ffmpeg's stdin at FPS; sent_at[n] is when frame n went out."""

    def __init__(self, proc):
        self.proc = proc
        self.sent_at = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        base = background()
        start = time.monotonic()
        while not self._stop.is_set():
            n = len(self.sent_at)
            img = base.copy()
            draw_counter(img, n)
            try:
                self.proc.stdin.write(img.tobytes())
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return
            self.sent_at.append(time.monotonic())
            delay = start + (n + 1) / FPS - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)


def ffmpeg_command(answer, srtp):
    """One ffmpeg: raw frames on stdin and a lavfi tone in, one RTP output per track.

    Each output goes to its track's port with RTCP to the track's rtcpPort (ffmpeg sends RTCP
    from a second socket, which is why the ingest gives RTCP a port of its own).
    """
    video, audio = answer["video"], answer["audio"]
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS)]
    cmd += ["-i", "pipe:0"]
    cmd += ["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]

    def output(track, codec_args, stream_map, extra_query=""):
        args = ["-map", stream_map] + codec_args
        args += ["-payload_type", str(track["payloadType"]), "-f", "rtp"]
        scheme = "rtp"
        if srtp:
            args += ["-srtp_out_suite", SRTP_SUITE, "-srtp_out_params", track["srtp"]["key"]]
            scheme = "srtp"
        url = f"{scheme}://{track['ip']}:{track['port']}?rtcpport={track['rtcpPort']}{extra_query}"
        return args + [url]

    cmd += output(
        video,
        ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0",
         "-g", str(KEYFRAME_INTERVAL), "-b:v", VIDEO_BITRATE, "-pix_fmt", "yuv420p"],
        "0:v",
        f"&pkt_size={PKT_SIZE}",
    )
    cmd += output(audio, ["-c:a", "libopus", "-b:a", "64k", "-application", "lowdelay"], "1:a")
    return cmd


async def create_ingest(base, stream, srtp, token, report):
    body = {"video": {"codec": "VP8", "payloadType": 96}, "audio": {"codec": "opus"}}
    if srtp:
        body["srtp"] = SRTP_SUITE
    url = f"{base}/api/ingest/{stream}"
    status, headers, text = await http(
        "POST", url, body=json.dumps(body), token=token, content_type="application/json"
    )
    report["post_status"] = status
    if status != 201:
        raise Failure(f"POST {url} -> HTTP {status}, expected 201; body: {text.strip()[:500]!r}")
    if not headers.get("content-type", "").startswith("application/json"):
        raise Failure(f"POST {url} -> 201 with Content-Type {headers.get('content-type')!r}")
    answer = json.loads(text)
    location = headers.get("location", "")
    if not location.startswith(f"/api/ingest/{stream}/") or location != answer.get("location"):
        raise Failure(f"POST {url} -> Location {location!r}, body location {answer.get('location')!r}")
    for kind in ("video", "audio"):
        t = answer.get(kind) or {}
        if not t.get("port") or not t.get("rtcpPort") or t["port"] == t["rtcpPort"]:
            raise Failure(f"{kind}: expected distinct RTP and RTCP ports in {t}")
        if srtp and (t.get("srtp", {}).get("cryptoSuite") != SRTP_SUITE or not t["srtp"].get("key")):
            raise Failure(f"{kind}: no {SRTP_SUITE} key in the answer: {t.get('srtp')}")
        if not srtp and "srtp" in t:
            raise Failure(f"{kind}: SRTP keys in an answer that asked for none")
    report["answer"] = answer
    return urllib.parse.urljoin(url, location), answer


async def wait_ingest_flowing(base, token, ingest_id, report):
    """Both tracks' transports receive RTP (polled: ffmpeg needs a moment to start)."""
    deadline = time.monotonic() + INGEST_SETTLE_S
    while True:
        entry = (await session_stats(base, token)).get(ingest_id)
        tracks = entry.get("tracks", []) if entry else []
        flowing = [t for t in tracks if t.get("stats", {}).get("rtpReceived", 0) > 0]
        if len(flowing) == 2 or time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL_S)
    report["ingest_tracks_at_start"] = tracks
    if len(flowing) != 2:
        raise Failure(f"the ingest's tracks did not all receive RTP within {INGEST_SETTLE_S} s: {tracks}")


async def scenario(args, state):
    base = args.server.rstrip("/")
    stream = urllib.parse.quote(args.stream, safe="")
    report = state["report"]
    admin = args.admin_token or args.token

    state["stage"] = "creating the ingest (POST /api/ingest)"
    ingest_url, answer = await create_ingest(base, stream, args.srtp, args.token, report["ingest"])
    state["ingest_url"] = ingest_url
    cmd = ffmpeg_command(answer, args.srtp)
    report["ingest"]["ffmpeg"] = " ".join(cmd)
    state["stage"] = "starting ffmpeg"
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    state["ffmpeg"] = proc
    pump = FramePump(proc)
    state["pump"] = pump
    state["stage"] = "waiting for RTP on the ingest's ports"
    await wait_ingest_flowing(base, admin, answer["id"], report["ingest"])

    viewers = await join_viewers(f"{base}/whep/{stream}", args, state)

    state["stage"] = f"watching for {args.seconds} s"
    await asyncio.sleep(args.seconds)
    extra_deadline = time.monotonic() + args.seconds  # a slow machine gets a clear count
    while time.monotonic() < extra_deadline and any(
        sum(1 for f in v.frames if f[1] is not None) < MIN_VALID_FRAMES for v in viewers
    ):
        await asyncio.sleep(0.1)

    deleted_at = time.monotonic()
    publisher = type("Sent", (), {"video": pump})  # Viewer.evaluate reads publisher.video.sent_at
    for v in viewers:
        v.evaluate(publisher, deleted_at)
    report["ingest"]["frames_sent"] = len(pump.sent_at)
    entry = (await session_stats(base, admin)).get(answer["id"], {})
    report["ingest"]["tracks"] = entry.get("tracks")
    for t in entry.get("tracks") or []:
        dropped = {k: n for k, n in t.get("stats", {}).get("dropped", {}).items() if n}
        if dropped:
            state["errors"].append(f"ingest {t['kind']}: datagrams dropped: {dropped}")
        if not t.get("stats", {}).get("rtcpReceived"):
            report["notes"].append(f"ingest {t['kind']}: no RTCP from ffmpeg counted yet")

    state["stage"] = "deleting the ingest (ffmpeg keeps sending)"
    await delete_session(ingest_url, args.token, report["ingest"])
    state["ingest_url"] = None
    state["stage"] = "checking viewers stop"
    await asyncio.sleep(STOP_OBSERVE_S)
    for v in viewers:
        v.evaluate_stop(deleted_at)

    await delete_viewers(viewers, args, state)
    state["stage"] = "checking the workers freed every router (GET /api/workers)"
    await check_workers_freed(base, admin, report)
    routers_left = report["workers_after_delete"]["routers_left"]
    if routers_left:
        state["errors"].append(f"the workers still hold routers {routers_left}")
    state["stage"] = "done"


async def cleanup(state, token):
    pump, proc = state.get("pump"), state.get("ffmpeg")
    if pump:
        pump.stop()
    if proc:
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=FFMPEG_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err = proc.stderr.read().decode(errors="replace").strip()
        if err:
            state["report"]["notes"].append("ffmpeg: " + err[-500:])
    urls = [state.get("ingest_url")] + [v.session_url for v in state.get("viewers", [])]
    for url in urls:
        if url:
            try:
                await asyncio.wait_for(http("DELETE", url, token=token), 2)
            except Exception:
                pass
    for v in state.get("viewers", []):
        try:
            await asyncio.wait_for(v.pc.close(), 2)
        except Exception:
            pass


async def main_async(args):
    report = {
        "test": "ingest_ffmpeg",
        "server": args.server,
        "stream": args.stream,
        "srtp": args.srtp,
        "ingest": {},
        "errors": [],
        "notes": [],
    }
    state = {"report": report, "stage": "starting", "viewers": [], "errors": report["errors"]}
    return await run_scenario(scenario, cleanup, args, state)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True, help="e.g. http://127.0.0.1:8080")
    ap.add_argument("--stream", default="ffmpeg-ingest")
    ap.add_argument("--srtp", action="store_true", help=f"ingest with SRTP ({SRTP_SUITE})")
    ap.add_argument("--viewers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=5.0, help="watching time before DELETE")
    ap.add_argument("--json", help="write the report here too")
    ap.add_argument("--token", help="Bearer token (not needed in --dev mode on loopback)")
    ap.add_argument("--admin-token", help="token for /api/streams and /api/workers")
    ap.add_argument("--timeout", type=float, default=DEFAULT_HARD_TIMEOUT_S)
    args = ap.parse_args()
    if args.viewers < 1:
        ap.error("--viewers must be at least 1")
    if not shutil.which("ffmpeg"):
        ap.error("ffmpeg is not installed")

    run_and_report("ingest_ffmpeg", args, main_async)


if __name__ == "__main__":
    main()
