#!/usr/bin/python3
"""WHIP publish + WHEP playback through Switchyard with aiortc (an independent WebRTC stack).

One aiortc publisher sends a synthetic video track whose every frame carries its frame counter
as large black/white blocks (16 bits + an 8-bit check byte) above four fixed colour bars, and a
440 Hz tone. N aiortc viewers decode the video, read the counters back and check the colour
bars and the audio. With --attack, while they watch, a separate UDP socket sends garbage,
forged STUN, fake DTLS records and fake SRTP to the server's media port of every session: the
server must count them as drops by cause (GET /api/streams) and the viewers' frames must keep
arriving, valid. Then the publisher's WHIP session is deleted (its peer connection keeps
sending) and the viewers must stop receiving video and audio; finally the viewers' sessions
are deleted and GET /api/workers must show that the worker freed every router.

Usage (see README.md):
  /usr/bin/python3 whip_aiortc.py --server http://127.0.0.1:8080 --stream test --viewers 2 \
      --seconds 5 [--attack] --json out.json

Prints a JSON report; exit status 0 only when every check passed, 1 when a check failed,
2 on bad usage, 3 on the hard timeout's last resort.
"""

import argparse
import asyncio
import fractions
import json
import math
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import aioice.ice
import aioice.stun
import av
import numpy as np

# aioice skips loopback addresses; the server and its clients live on 127.0.0.1 here.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

from aiortc import (  # noqa: E402  (must follow the aioice patch)
    MediaStreamTrack,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError  # noqa: E402

# --- frame layout: what the publisher draws and the viewers read back -----------------------
WIDTH, HEIGHT = 320, 240
GRID_COLS, GRID_ROWS = 8, 3  # 40x40 px blocks in the top half: 16 counter bits + 8 check bits
COUNTER_BITS, CHECK_BITS = 16, 8
CHECK_SALT = 0x5A  # check byte = low ^ high ^ salt, so an all-black frame never validates
BLOCK_MARGIN = 10  # px ignored at each block edge: VP8 ringing lives there
LUMA_THRESHOLD = 128
COLOUR_BARS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]  # lower half, left to right
COLOUR_TOLERANCE = 60  # max per-channel difference after YUV 4:2:0 + VP8 round trip
TONE_HZ, TONE_AMPLITUDE = 440.0, 0.3
AUDIO_RATE, AUDIO_PTIME = 48000, 0.020

# --- pass criteria ----------------------------------------------------------------------------
MIN_VALID_FRAMES = 30  # per viewer
MAX_BAD_FRAME_RATIO = 0.10  # frames whose check byte or colour bars do not match
MIN_CONSECUTIVE_RATIO = 0.80  # steps of exactly +1 between successive counters
MIN_AUDIO_FRAMES = 25  # 0.5 s of 20 ms frames
MIN_AUDIO_RMS = 1000.0  # s16 RMS of the loudest decoded frame: the tone, not silence
STOP_GRACE_S = 3.0  # after the publisher's DELETE, viewers may still show frames this long
STOP_OBSERVE_S = 5.0  # how long we watch for frames after the DELETE

# --- --attack: bad datagrams to the media ports while the viewers watch --------------------------
ATTACK_START_S = 1.5  # into the watching time (at most a third of it)
ATTACK_BURSTS = 5  # per target, ATTACK_BURST_GAP_S apart
ATTACK_BURST_GAP_S = 0.2
ATTACK_SEED = 9725  # the datagrams are the same on every run
ATTACK_GARBAGE_PER_BURST = 10  # first byte outside RFC 7983's STUN/DTLS/RTP ranges
ATTACK_DTLS_PER_BURST = 3  # handshake, alert and application-data records
ATTACK_SRTP_PER_BURST = 5  # RTP-looking, plus one SRTCP-looking sender report
STUN_MAGIC_COOKIE = bytes.fromhex("2112a442")  # RFC 5389 section 6
ATTACK_WRONG_PASSWORD = "not-the-ice-password-0123"  # 22+ ice-chars, like a real one
POST_ATTACK_MIN_S = 2.0  # watching goes on at least this long after the attack
MIN_VALID_FRAMES_AFTER_ATTACK = 30  # per viewer, in that time
MIN_AUDIO_FRAMES_AFTER_ATTACK = 25
DROP_SETTLE_S = 3.0  # how long /api/streams is polled for the attack's drops to be counted
WORKERS_SETTLE_S = 3.0  # how long /api/workers is polled for the routers to go after DELETE
POLL_S = 0.05

# --- timing -----------------------------------------------------------------------------------
CONNECT_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 5.0
DEFAULT_HARD_TIMEOUT_S = 60.0
WATCHDOG_EXTRA_S = 15.0  # the last-resort os._exit fires this long after the hard timeout


class Failure(Exception):
    """A check or step failed; the message says what and why."""


# --- drawing and reading frames ---------------------------------------------------------------
def check_byte(counter):
    return ((counter & 0xFF) ^ (counter >> 8) ^ CHECK_SALT) & 0xFF


def frame_bits(counter):
    value = ((counter & 0xFFFF) << CHECK_BITS) | check_byte(counter & 0xFFFF)
    n = COUNTER_BITS + CHECK_BITS
    return [(value >> (n - 1 - i)) & 1 for i in range(n)]


def background():
    img = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    bar_w = WIDTH // len(COLOUR_BARS)
    for i, rgb in enumerate(COLOUR_BARS):
        img[HEIGHT // 2 :, i * bar_w : (i + 1) * bar_w] = rgb
    return img


def draw_counter(img, counter):
    bw, bh = WIDTH // GRID_COLS, (HEIGHT // 2) // GRID_ROWS
    for i, bit in enumerate(frame_bits(counter)):
        r, c = divmod(i, GRID_COLS)
        img[r * bh : (r + 1) * bh, c * bw : (c + 1) * bw] = 255 if bit else 0


def read_frame(rgb):
    """Returns (counter or None, colour_ok) for a decoded frame (any size, scaled layout)."""
    h, w = rgb.shape[0], rgb.shape[1]
    sx, sy = w / WIDTH, h / HEIGHT
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    bw, bh = WIDTH // GRID_COLS, (HEIGHT // 2) // GRID_ROWS
    value = 0
    for i in range(COUNTER_BITS + CHECK_BITS):
        r, c = divmod(i, GRID_COLS)
        y0, y1 = int((r * bh + BLOCK_MARGIN) * sy), int(((r + 1) * bh - BLOCK_MARGIN) * sy)
        x0, x1 = int((c * bw + BLOCK_MARGIN) * sx), int(((c + 1) * bw - BLOCK_MARGIN) * sx)
        value = (value << 1) | (1 if luma[y0:y1, x0:x1].mean() >= LUMA_THRESHOLD else 0)
    counter, check = value >> CHECK_BITS, value & 0xFF
    bar_w = WIDTH // len(COLOUR_BARS)
    colour_ok = True
    for i, rgb_expected in enumerate(COLOUR_BARS):
        y0, y1 = int((HEIGHT // 2 + 30) * sy), int((HEIGHT - 30) * sy)
        x0, x1 = int((i * bar_w + 20) * sx), int(((i + 1) * bar_w - 20) * sx)
        mean = rgb[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)
        if max(abs(float(m) - e) for m, e in zip(mean, rgb_expected)) > COLOUR_TOLERANCE:
            colour_ok = False
    return (counter if check == check_byte(counter) else None), colour_ok


# --- media sources ----------------------------------------------------------------------------
class CounterVideoTrack(VideoStreamTrack):
    """30 fps synthetic video: frame n shows counter n (see the layout constants)."""

    def __init__(self):
        super().__init__()
        self._background = background()
        self.sent_at = []  # monotonic send time of counter i

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        counter = len(self.sent_at)
        img = self._background.copy()
        draw_counter(img, counter)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        self.sent_at.append(time.monotonic())
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """A continuous sine tone in 20 ms mono frames, paced like aiortc's AudioStreamTrack."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self._start = None
        self._samples = 0

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        n = int(AUDIO_RATE * AUDIO_PTIME)
        if self._start is None:
            self._start = time.time()
        else:
            self._samples += n
            await asyncio.sleep(self._start + self._samples / AUDIO_RATE - time.time())
        t = (np.arange(n) + self._samples) / AUDIO_RATE
        pcm = (np.sin(2 * math.pi * TONE_HZ * t) * TONE_AMPLITUDE * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


# --- HTTP (WHIP/WHEP) -------------------------------------------------------------------------
def http_request(method, url, body=None, token=None, content_type=None):
    """Blocking HTTP; returns (status, headers dict (lower-case keys), body text)."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = "Bearer " + token
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as res:
            return res.status, {k.lower(): v for k, v in res.headers.items()}, res.read().decode()
    except urllib.error.HTTPError as e:
        text = e.read().decode(errors="replace")
        return e.code, {k.lower(): v for k, v in e.headers.items()}, text
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Failure(f"{method} {url}: cannot reach the server: {reason}") from None


async def http(method, url, **kw):
    """http_request on a daemon thread: a hung server cannot hold the process past the timeout."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result=None, error=None):
        if future.done():
            return
        if error:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work():
        try:
            result, error = http_request(method, url, **kw), None
        except BaseException as e:  # handed to the awaiting coroutine
            result, error = None, e
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop is gone: the run already ended

    threading.Thread(target=work, daemon=True).start()
    return await future


async def post_offer(url, sdp, token, report):
    """RFC 9725 section 4.2: POST the offer, expect 201 + Location + SDP answer."""
    status, headers, body = await http(
        "POST", url, body=sdp, token=token, content_type="application/sdp"
    )
    report["post_status"] = status
    if status != 201:
        raise Failure(f"POST {url} -> HTTP {status}, expected 201; body: {body.strip()[:500]!r}")
    ctype = headers.get("content-type", "")
    if not ctype.split(";")[0].strip().lower() == "application/sdp":
        raise Failure(f"POST {url} -> 201 with Content-Type {ctype!r}, expected application/sdp")
    location = headers.get("location")
    if not location:
        raise Failure(f"POST {url} -> 201 without a Location header")
    session_url = urllib.parse.urljoin(url, location)
    report["location"] = location
    report["etag"] = headers.get("etag")
    endpoint_path = urllib.parse.urlparse(url).path
    if not urllib.parse.urlparse(session_url).path.startswith(endpoint_path + "/"):
        raise Failure(f"POST {url} -> Location {location!r} is not under the endpoint's path")
    if not headers.get("etag"):
        raise Failure(f"POST {url} -> 201 without an ETag header")
    if not body.startswith("v=0"):
        raise Failure(f"POST {url} -> 201 but the body is not an SDP answer: {body[:200]!r}")
    return session_url, body


async def delete_session(url, token, report, accept=(200, 204)):
    status, _, body = await http("DELETE", url, token=token)
    report["delete_status"] = status
    if status not in accept:
        raise Failure(
            f"DELETE {url} -> HTTP {status}, expected one of {accept}; body: {body[:300]!r}"
        )
    return status


def unify_extmap_ids(sdp):
    """Gives each header-extension URI one id across the offer's m-sections.

    aiortc 1.4 numbers extensions per m-section (ssrc-audio-level and abs-send-time are both
    id 2) yet demuxes a BUNDLE with one map: against an answerer that echoes both (aiortc
    itself), an audio packet's level is parsed as abs-send-time and the DTLS transport dies
    (struct.error). Switchyard drops the later clash from its answer, which costs the video its
    abs-send-time. RFC 8843 section 9.1 wants one id per URI in a bundle; aiortc adopts the
    answer's ids, so fixing the offer we POST is enough.
    """
    ids, used, out = {}, set(), []
    for line in sdp.split("\r\n"):
        m = re.match(r"a=extmap:(\d+)(/\w+)? (\S+)(.*)$", line)
        if m:
            uri = m.group(3)
            if uri not in ids:
                wanted = int(m.group(1))
                ids[uri] = wanted if wanted not in used else min(set(range(1, 15)) - used)
                used.add(ids[uri])
            line = f"a=extmap:{ids[uri]}{m.group(2) or ''} {uri}{m.group(4)}"
        out.append(line)
    return "\r\n".join(out)


def prefer(transceiver, kind, mime):
    """Offer one codec (plus RTX for video) so the run is the same whatever the server prefers."""
    caps = RTCRtpSender.getCapabilities(kind)  # aiortc: same list for both directions
    wanted = [c for c in caps.codecs if c.mimeType.lower() in (mime, kind + "/rtx")]
    transceiver.setCodecPreferences(wanted)


async def wait_connected(pc, what):
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while pc.connectionState != "connected":
        if pc.connectionState in ("failed", "closed"):
            raise Failure(
                f"{what}: peer connection {pc.connectionState} (ICE {pc.iceConnectionState})"
            )
        if time.monotonic() > deadline:
            raise Failure(
                f"{what}: not connected after {CONNECT_TIMEOUT_S:.0f} s (connection "
                f"{pc.connectionState}, ICE {pc.iceConnectionState})"
            )
        await asyncio.sleep(0.01)


# --- publisher and viewers --------------------------------------------------------------------
class Publisher:
    def __init__(self, endpoint, token):
        self.endpoint, self.token = endpoint, token
        self.pc = RTCPeerConnection()
        self.video = CounterVideoTrack()
        self.audio = ToneAudioTrack()
        self.session_url = None
        self.answer = None
        self.report = {"endpoint": endpoint}

    async def start(self):
        prefer(self.pc.addTransceiver(self.audio, direction="sendonly"), "audio", "audio/opus")
        prefer(self.pc.addTransceiver(self.video, direction="sendonly"), "video", "video/vp8")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        t0 = time.monotonic()
        self.session_url, answer = await post_offer(
            self.endpoint, unify_extmap_ids(self.pc.localDescription.sdp), self.token, self.report
        )
        self.answer = answer
        self.report["post_ms"] = round((time.monotonic() - t0) * 1000, 1)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await wait_connected(self.pc, "publisher")
        self.report["connected_ms"] = round((time.monotonic() - t0) * 1000, 1)


class Viewer:
    def __init__(self, index, endpoint, token):
        self.index, self.endpoint, self.token = index, endpoint, token
        self.pc = RTCPeerConnection()
        self.session_url = None
        self.answer = None
        self.post_t = None
        self.frames = []  # (monotonic time, counter or None, colour_ok)
        self.audio_frames = 0
        self.audio_times = []  # monotonic arrival time of every decoded audio frame
        self.audio_rms_max = 0.0
        self.video_ended_at = None
        self.errors = []
        self.report = {"viewer": index, "endpoint": endpoint}
        self._tasks = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track):
        consume = self._consume_video if track.kind == "video" else self._consume_audio
        self._tasks.append(asyncio.ensure_future(consume(track)))

    async def _consume_video(self, track):
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                counter, colour_ok = read_frame(frame.to_ndarray(format="rgb24"))
                self.frames.append((now, counter, colour_ok))
                if len(self.frames) == 1:
                    self.report["first_frame_size"] = [frame.width, frame.height]
        except MediaStreamError:
            self.video_ended_at = time.monotonic()  # receiver stopped (RTCP BYE or close)

    async def _consume_audio(self, track):
        try:
            while True:
                frame = await track.recv()
                pcm = frame.to_ndarray().astype(np.float64)
                self.audio_frames += 1
                self.audio_times.append(time.monotonic())
                self.audio_rms_max = max(self.audio_rms_max, float(np.sqrt(np.mean(pcm * pcm))))
        except MediaStreamError:
            pass

    async def start(self):
        prefer(self.pc.addTransceiver("audio", direction="recvonly"), "audio", "audio/opus")
        prefer(self.pc.addTransceiver("video", direction="recvonly"), "video", "video/vp8")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self.post_t = time.monotonic()
        self.session_url, answer = await post_offer(
            self.endpoint, unify_extmap_ids(self.pc.localDescription.sdp), self.token, self.report
        )
        self.answer = answer
        self.report["post_ms"] = round((time.monotonic() - self.post_t) * 1000, 1)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await wait_connected(self.pc, f"viewer {self.index}")
        self.report["connected_ms"] = round((time.monotonic() - self.post_t) * 1000, 1)

    def evaluate(self, publisher, until):
        """Checks the frames received before `until` (the publisher's DELETE)."""
        r = self.report
        frames = [f for f in self.frames if f[0] < until]
        valid = [f for f in frames if f[1] is not None and f[2]]
        counters = [f[1] for f in valid]
        r["frames_decoded"] = len(frames)
        r["frames_valid"] = len(valid)
        r["frames_bad_check"] = sum(1 for f in frames if f[1] is None)
        r["frames_bad_colour"] = sum(1 for f in frames if not f[2])
        r["audio_frames"] = self.audio_frames
        r["audio_rms_max"] = round(self.audio_rms_max, 1)
        if frames:
            r["ttff_ms"] = round((frames[0][0] - self.post_t) * 1000, 1)
        steps = [b - a for a, b in zip(counters, counters[1:])]
        r["counters"] = {
            "first": counters[0] if counters else None,
            "last": counters[-1] if counters else None,
            "runs": runs(counters),
            "non_increasing_steps": sum(1 for s in steps if s <= 0),
            "consecutive_ratio": round(sum(1 for s in steps if s == 1) / len(steps), 3)
            if steps
            else None,
        }
        sent = publisher.video.sent_at
        latencies = [t - sent[c] for t, c, _ in valid if c < len(sent)]
        if latencies:
            r["latency_ms"] = {
                "median": round(statistics.median(latencies) * 1000, 1),
                "max": round(max(latencies) * 1000, 1),
            }

        who = f"viewer {self.index}"
        if len(valid) < MIN_VALID_FRAMES:
            self.errors.append(f"{who}: {len(valid)} valid frames decoded, need {MIN_VALID_FRAMES}")
        if frames and (len(frames) - len(valid)) / len(frames) > MAX_BAD_FRAME_RATIO:
            self.errors.append(
                f"{who}: {len(frames) - len(valid)} of {len(frames)} frames unreadable "
                f"(check byte {r['frames_bad_check']}, colour bars {r['frames_bad_colour']})"
            )
        if r["counters"]["non_increasing_steps"]:
            runs_seen = r["counters"]["runs"]
            self.errors.append(f"{who}: counters go backwards or repeat: runs {runs_seen}")
        if steps and r["counters"]["consecutive_ratio"] < MIN_CONSECUTIVE_RATIO:
            self.errors.append(
                f"{who}: only {r['counters']['consecutive_ratio']:.0%} of counter steps are +1, "
                f"need {MIN_CONSECUTIVE_RATIO:.0%}"
            )
        if counters and max(counters) >= len(sent):
            self.errors.append(f"{who}: counter {max(counters)} was never sent (sent {len(sent)})")
        if self.audio_frames < MIN_AUDIO_FRAMES:
            self.errors.append(f"{who}: {self.audio_frames} audio frames, need {MIN_AUDIO_FRAMES}")
        elif self.audio_rms_max < MIN_AUDIO_RMS:
            self.errors.append(f"{who}: audio is silent (max RMS {self.audio_rms_max:.0f})")

    def evaluate_after_attack(self, attack_end, until):
        """The frames between the attack's end and `until` (the publisher's DELETE)."""
        frames = [f for f in self.frames if attack_end <= f[0] < until]
        valid = [f for f in frames if f[1] is not None and f[2]]
        audio = [t for t in self.audio_times if attack_end <= t < until]
        r = self.report["after_attack"] = {
            "seconds": round(until - attack_end, 2),
            "frames_decoded": len(frames),
            "frames_valid": len(valid),
            "audio_frames": len(audio),
            "counters": runs([f[1] for f in valid]),
        }
        who = f"viewer {self.index} after the attack"
        if len(valid) < MIN_VALID_FRAMES_AFTER_ATTACK:
            self.errors.append(
                f"{who}: {len(valid)} valid frames in {r['seconds']} s, "
                f"need {MIN_VALID_FRAMES_AFTER_ATTACK}"
            )
        if frames and (len(frames) - len(valid)) / len(frames) > MAX_BAD_FRAME_RATIO:
            self.errors.append(f"{who}: {len(frames) - len(valid)} of {len(frames)} unreadable")
        if len(audio) < MIN_AUDIO_FRAMES_AFTER_ATTACK:
            self.errors.append(
                f"{who}: {len(audio)} audio frames, need {MIN_AUDIO_FRAMES_AFTER_ATTACK}"
            )

    def evaluate_stop(self, deleted_at):
        after = [f[0] - deleted_at for f in self.frames if f[0] >= deleted_at]
        audio_after = [t - deleted_at for t in self.audio_times if t >= deleted_at]
        r = self.report
        r["frames_after_publisher_delete"] = len(after)
        r["last_frame_after_delete_ms"] = round(after[-1] * 1000, 1) if after else None
        r["audio_frames_after_publisher_delete"] = len(audio_after)
        r["last_audio_after_delete_ms"] = round(audio_after[-1] * 1000, 1) if audio_after else None
        r["video_track_ended"] = self.video_ended_at is not None
        for what, times in (("video", after), ("audio", audio_after)):
            if times and times[-1] > STOP_GRACE_S:
                self.errors.append(
                    f"viewer {self.index}: still receiving {what} {times[-1]:.1f} s after the "
                    f"publisher's DELETE ({len(times)} frames since)"
                )


def runs(counters):
    """Compresses a counter list to "first-last" runs of +1 steps: [0, 1, 2, 5] -> ["0-2", "5"]."""
    spans = []
    for c in counters:
        if spans and c == spans[-1][1] + 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return [f"{a}-{b}" if a != b else f"{a}" for a, b in spans]


# --- admin API ----------------------------------------------------------------------------------
async def get_json(base, path, token):
    status, _, body = await http("GET", base + path, token=token)
    if status != 200:
        raise Failure(f"GET {base}{path} -> HTTP {status}, expected 200; body: {body[:300]!r}")
    try:
        return json.loads(body)
    except ValueError:
        raise Failure(f"GET {base}{path}: not JSON: {body[:200]!r}") from None


async def session_stats(base, token):
    """Session id -> its entry in GET /api/streams (with "stats" and "stream")."""
    out = {}
    for stream in (await get_json(base, "/api/streams", token))["streams"]:
        for s in stream["sessions"]:
            out[s["id"]] = dict(s, stream=stream["name"], router=stream.get("router"))
    return out


async def shared_port_stats(base, token):
    """Port -> the worker's shared port entry in GET /api/workers (127.0.0.1 only)."""
    out = {}
    for w in (await get_json(base, "/api/workers", token))["workers"]:
        for p in w.get("sharedPorts", []):
            if p["ip"] == "127.0.0.1":
                out[p["port"]] = p
    return out


async def check_workers_freed(base, token, report):
    """After every DELETE, the workers themselves must hold no router (polled a while: closing
    is asynchronous). Assumes the server serves this run only, as run_with_server.sh's does."""
    t0 = time.monotonic()
    while True:
        workers = (await get_json(base, "/api/workers", token))["workers"]
        routers = [r.get("id") for w in workers for r in w.get("routers", [])]
        if not routers or time.monotonic() - t0 > WORKERS_SETTLE_S:
            break
        await asyncio.sleep(POLL_S)
    report["workers_after_delete"] = {
        "workers": len(workers),
        "routers_left": routers,
        "waited_ms": round((time.monotonic() - t0) * 1000),
    }
    if not workers:
        raise Failure(f"GET {base}/api/workers lists no worker")
    if routers:
        ours = report.get("router")
        raise Failure(
            f"{len(routers)} router(s) still on the workers {WORKERS_SETTLE_S:.0f} s after every "
            f"DELETE: {routers}" + (f" (this stream's was {ours})" if ours in routers else "")
        )


# --- --attack -------------------------------------------------------------------------------------
def media_port(answer):
    """The port of the answer's first UDP host candidate on 127.0.0.1 (RFC 8839 section 5.1)."""
    m = re.search(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", answer, re.I)
    return int(m.group(1)) if m else None


def ice_ufrag(answer):
    m = re.search(r"^a=ice-ufrag:(\S+)", answer, re.M)
    return m.group(1) if m else None


def forged_binding_request(username, password):
    """A Binding request as an ICE agent sends it, built by aioice, signed with `password`."""
    msg = aioice.stun.Message(aioice.stun.Method.BINDING, aioice.stun.Class.REQUEST)
    msg.attributes["USERNAME"] = username
    msg.attributes["PRIORITY"] = 0x6E0001FF
    msg.attributes["ICE-CONTROLLING"] = 0x0123456789ABCDEF
    msg.attributes["USE-CANDIDATE"] = None
    msg.add_message_integrity(password.encode())  # also adds FINGERPRINT
    return bytes(msg)


def attack_burst(rng, ufrag):
    """One burst for one target: [(cause a port of the session's own counts, cause a shared
    port counts or None when the datagram reaches the session anyway, datagram)]."""
    out = []
    unknown_first = list(range(4, 20)) + list(range(64, 128)) + list(range(192, 256))
    for _ in range(ATTACK_GARBAGE_PER_BURST):
        size = rng.choice([1, 7, 19, 100, 600, 1400])
        out.append(("unknownKind", "unknownTuple",
                    bytes([rng.choice(unknown_first)]) + rng.randbytes(size - 1)))
    # Forged checks: the session's ufrag with a wrong password, then a made-up ufrag. Both must
    # get 401 (RFC 5389 section 10.1.2) from a port of the session's own; a shared port can
    # only give the first to a session, and drops the second. And one with a bad magic
    # cookie: not STUN at all.
    out.append(("stun", None, forged_binding_request(f"{ufrag}:attacker", ATTACK_WRONG_PASSWORD)))
    made_up = "".join(rng.choice("abcdefghijklmnop0123456789") for _ in range(16))
    out.append(("stun", "unknownUfrag",
                forged_binding_request(f"{made_up}:attacker", ATTACK_WRONG_PASSWORD)))
    out.append(("stun", "malformedStun",
                b"\x00\x01\x00\x08" + b"\xde\xad\xbe\xef" + rng.randbytes(20)))
    # DTLS 1.2 records (RFC 6347 section 4.1) from an address ICE never validated.
    for content_type in (22, 21, 23)[:ATTACK_DTLS_PER_BURST]:
        body = rng.randbytes(rng.choice([2, 64, 200]))
        header = bytes([content_type, 0xFE, 0xFD, 0, 0]) + rng.randbytes(6)
        out.append(("unknownTuple", "unknownTuple", header + len(body).to_bytes(2, "big") + body))
    # SRTP-looking packets (RTP header, junk payload, 10-byte tag) and an SRTCP sender report.
    ssrc = rng.randbytes(4)
    for i in range(ATTACK_SRTP_PER_BURST):
        rtp = bytes([0x80, 0x60]) + rng.randrange(65536).to_bytes(2, "big") + rng.randbytes(4)
        out.append(("unknownTuple", "unknownTuple",
                    rtp + ssrc + rng.randbytes(rng.choice([60, 300, 1100]))))
    out.append(("unknownTuple", "unknownTuple", bytes([0x80, 200, 0, 6]) + ssrc + rng.randbytes(34)))
    return out


def send_attack(targets):
    """Blocking (runs on a thread: the event loop keeps the viewers decoding). Sends the bursts
    from one UDP socket and collects the STUN answers to the forged checks."""
    rng = random.Random(ATTACK_SEED)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.01)
    try:
        for t in targets:
            t["sent"] = {"unknownKind": 0, "stun": 0, "unknownTuple": 0}
            t["shared_sent"] = {"unknownTuple": 0, "unknownUfrag": 0, "malformedStun": 0}
            t["bytes_sent"] = 0
            t["session_bytes_sent"] = 0
            t["stun_replies"] = {"401": 0, "success": 0, "other": 0}
        # Replies are told apart by transaction id: on a shared port every target has one port.
        by_transaction = {}
        for burst in range(ATTACK_BURSTS):
            for t in targets:
                for cause, shared_cause, datagram in attack_burst(rng, t["ufrag"]):
                    sock.sendto(datagram, ("127.0.0.1", t["port"]))
                    if datagram[4:8] == STUN_MAGIC_COOKIE:
                        by_transaction[datagram[8:20]] = t
                    t["bytes_sent"] += len(datagram)
                    if t["shared"] and shared_cause:
                        t["shared_sent"][shared_cause] += 1
                        continue
                    t["sent"][cause] += 1
                    t["session_bytes_sent"] += len(datagram)
            end = time.monotonic() + ATTACK_BURST_GAP_S
            while time.monotonic() < end:
                try:
                    data, addr = sock.recvfrom(65536)
                except socket.timeout:
                    continue
                t = by_transaction.get(data[8:20])
                if t is None or addr[1] != t["port"]:
                    continue
                try:
                    msg = aioice.stun.parse_message(data)
                except ValueError:
                    t["stun_replies"]["other"] += 1  # the server sent us something not STUN
                    continue
                if msg.message_class == aioice.stun.Class.RESPONSE:
                    t["stun_replies"]["success"] += 1
                elif msg.attributes.get("ERROR-CODE", (0, ""))[0] == 401:
                    t["stun_replies"]["401"] += 1
                else:
                    t["stun_replies"]["other"] += 1
    finally:
        sock.close()
    return targets


async def run_attack(base, admin_token, publisher, viewers, report):
    """Attacks every session's media port and checks the server's drop counters and states."""
    errors = report["errors"]
    parties = [("publisher", publisher)] + [(f"viewer {v.index}", v) for v in viewers]
    targets = []
    for name, p in parties:
        port, ufrag = media_port(p.answer), ice_ufrag(p.answer)
        if not port or not ufrag:
            raise Failure(f"{name}: no 127.0.0.1 host candidate or ice-ufrag in the answer")
        session = urllib.parse.urlparse(p.session_url).path.rsplit("/", 1)[-1]
        targets.append({"target": name, "session": session, "port": port, "ufrag": ufrag})
    shared_before = await shared_port_stats(base, admin_token)
    for t in targets:
        t["shared"] = t["port"] in shared_before
    before = await session_stats(base, admin_token)
    for t in targets:
        if t["session"] not in before:
            raise Failure(f"{t['target']}: session {t['session']} not in GET /api/streams")
    started = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, send_attack, targets)
    sent_at = time.monotonic()
    out = {"duration_s": round(sent_at - started, 2), "targets": targets}

    # Every datagram must be counted, under its cause, on the session it was sent to.
    def deltas(after):
        for t in targets:
            b = before[t["session"]]["stats"]
            a = after[t["session"]]["stats"]
            t["dropped_delta"] = {c: a["dropped"][c] - b["dropped"][c] for c in b["dropped"]}
            t["bytes_received_delta"] = a["bytesReceived"] - b["bytesReceived"]
            t["state_after"] = {"ice": a["iceState"], "dtls": a["dtlsState"]}

    # What a shared port must have counted: everything sent to it that no session could take.
    shared_expected = {}
    for t in targets:
        if t["shared"]:
            e = shared_expected.setdefault(t["port"], {"bytes": 0, "dropped": {}})
            e["bytes"] += t["bytes_sent"]
            for c, n in t["shared_sent"].items():
                e["dropped"][c] = e["dropped"].get(c, 0) + n
    shared_after = {}

    def counted():
        sessions = all(t["dropped_delta"][c] >= n for t in targets for c, n in t["sent"].items())
        ports = all(shared_after[port]["dropped"][c] - shared_before[port]["dropped"][c] >= n
                    for port, e in shared_expected.items() for c, n in e["dropped"].items())
        return sessions and ports

    deadline = time.monotonic() + DROP_SETTLE_S
    while True:
        after = await session_stats(base, admin_token)
        missing = [t["target"] for t in targets if t["session"] not in after]
        if missing:
            raise Failure(f"the attack ended the sessions of {', '.join(missing)}")
        deltas(after)
        shared_after = await shared_port_stats(base, admin_token)
        if counted() or time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL_S)
    out["counted_within_ms"] = round((time.monotonic() - sent_at) * 1000)
    for t in targets:
        who = f"attack on {t['target']} (port {t['port']})"
        for cause, n in t["sent"].items():
            got = t["dropped_delta"][cause]
            if got < n:
                errors.append(
                    f"{who}: sent {n} datagrams the server should count as dropped '{cause}', "
                    f"/api/streams shows {got} more"
                )
            elif got > n:
                report["notes"].append(f"{who}: {got - n} more '{cause}' drops than sent")
        if t["bytes_received_delta"] < t["session_bytes_sent"]:
            errors.append(
                f"{who}: sent {t['session_bytes_sent']} bytes that reach the session, "
                f"bytesReceived grew by {t['bytes_received_delta']}"
            )
        replies = t["stun_replies"]
        if replies["success"]:
            errors.append(f"{who}: {replies['success']} forged STUN checks got a success response")
        if not replies["401"]:
            errors.append(f"{who}: no 401 response to a forged STUN check ({replies})")
        state = t["state_after"]
        if state["dtls"] != "CONNECTED" or state["ice"] not in ("COMPLETED", "CONNECTED"):
            errors.append(f"{who}: session state after the attack: {state}")
    out["shared_ports"] = {}
    for port, e in shared_expected.items():
        a, b = shared_after[port], shared_before[port]
        got = {c: a["dropped"][c] - b["dropped"][c] for c in a["dropped"]}
        out["shared_ports"][port] = {"expected": e, "dropped_delta": got}
        for c, n in e["dropped"].items():
            if got[c] < n:
                errors.append(f"shared port {port}: sent {n} datagrams it should count as dropped "
                              f"'{c}', /api/workers shows {got[c]} more")
        if a["bytesReceived"] - b["bytesReceived"] < e["bytes"]:
            errors.append(f"shared port {port}: sent {e['bytes']} bytes, bytesReceived grew by "
                          f"{a['bytesReceived'] - b['bytesReceived']}")
    return out


# --- the scenario -----------------------------------------------------------------------------
async def scenario(args, state):
    base = args.server.rstrip("/")
    stream = urllib.parse.quote(args.stream, safe="")
    report = state["report"]

    state["stage"] = "publishing (WHIP POST)"
    publisher = Publisher(f"{base}/whip/{stream}", args.token)
    state["publisher"] = publisher
    report["publisher"] = publisher.report
    await publisher.start()

    viewers = await join_viewers(f"{base}/whep/{stream}", args, state)

    state["stage"] = f"watching for {args.seconds} s"
    admin_token = args.admin_token or args.token
    watch_start = time.monotonic()
    streams = await session_stats(base, admin_token)
    publisher_id = urllib.parse.urlparse(publisher.session_url).path.rsplit("/", 1)[-1]
    report["router"] = streams.get(publisher_id, {}).get("router")
    attack_end = None
    if args.attack:
        await asyncio.sleep(min(ATTACK_START_S, args.seconds / 3))
        state["stage"] = "attacking the media ports while the viewers watch"
        report["attack"] = await run_attack(base, admin_token, publisher, viewers, report)
        attack_end = time.monotonic()
        state["stage"] = "watching after the attack"
        await asyncio.sleep(max(args.seconds - (attack_end - watch_start), POST_ATTACK_MIN_S))
    else:
        await asyncio.sleep(args.seconds)

    # Allow a slow first frame: keep watching (up to the same time again) until every viewer
    # has its minimum, so a slow machine gives a clear count instead of a flaky failure.
    def short(v):
        if sum(1 for f in v.frames if f[1] is not None) < MIN_VALID_FRAMES:
            return True
        after = [f for f in v.frames if attack_end and f[0] >= attack_end and f[1] is not None]
        return attack_end is not None and len(after) < MIN_VALID_FRAMES_AFTER_ATTACK

    extra_deadline = time.monotonic() + args.seconds
    while time.monotonic() < extra_deadline and any(short(v) for v in viewers):
        await asyncio.sleep(0.1)

    deleted_at = time.monotonic()
    for v in viewers:
        v.evaluate(publisher, deleted_at)
        if attack_end is not None:
            v.evaluate_after_attack(attack_end, deleted_at)
    report["publisher"]["frames_sent"] = len(publisher.video.sent_at)

    # The publisher keeps sending after its DELETE: the server must stop forwarding anyway.
    state["stage"] = "deleting the publisher"
    await delete_session(publisher.session_url, args.token, publisher.report)
    publisher.session_url = None
    state["stage"] = f"checking viewers stop within {STOP_GRACE_S} s"
    await asyncio.sleep(STOP_OBSERVE_S)
    for v in viewers:
        v.evaluate_stop(deleted_at)

    await delete_viewers(viewers, args, state)

    state["stage"] = "checking the workers freed every router (GET /api/workers)"
    await check_workers_freed(base, admin_token, report)
    state["stage"] = "done"


async def join_viewers(endpoint, args, state):
    """--viewers viewers POST their WHEP offers to endpoint and connect, all at once."""
    state["stage"] = "viewers joining (WHEP POST)"
    viewers = [Viewer(i, endpoint, args.token) for i in range(args.viewers)]
    state["viewers"] = viewers
    state["report"]["viewers"] = [v.report for v in viewers]
    results = await asyncio.gather(*(v.start() for v in viewers), return_exceptions=True)
    failed = [str(r) for r in results if isinstance(r, Exception)]
    if failed:
        raise Failure("; ".join(failed))
    return viewers


async def delete_viewers(viewers, args, state):
    state["stage"] = "deleting the viewers"
    for v in viewers:
        # 404 is tolerated: the server may already have ended viewers of a stream that ended.
        try:
            status = await delete_session(
                v.session_url, args.token, v.report, accept=(200, 204, 404)
            )
            v.session_url = None
            if status == 404:
                state["report"]["notes"].append(f"viewer {v.index}: DELETE -> 404 (already ended)")
        except Failure as e:
            v.errors.append(str(e))


async def cleanup(state, token):
    """Best effort: delete sessions still open and close peer connections."""
    pcs = []
    parties = ([state["publisher"]] if state.get("publisher") else []) + state.get("viewers", [])
    for p in parties:
        if p.session_url:
            try:
                await asyncio.wait_for(http("DELETE", p.session_url, token=token), CLOSE_TIMEOUT_S)
            except Exception:
                pass
        pcs.append(p.pc)
    for pc in pcs:
        try:
            await asyncio.wait_for(pc.close(), CLOSE_TIMEOUT_S)
        except Exception:
            pass


async def main_async(args):
    report = {
        "test": "whip_aiortc",
        "server": args.server,
        "stream": args.stream,
        "viewers_requested": args.viewers,
        "attack": None,
        "errors": [],
        "notes": [],
    }
    state = {"report": report, "stage": "starting", "viewers": []}
    return await run_scenario(scenario, cleanup, args, state)


async def run_scenario(scenario, cleanup, args, state):
    """Runs scenario(args, state) within --timeout, turns what goes wrong into report errors
    (with the stage it happened in), adds the viewers' own errors, cleans up, and returns the
    report: state["report"], with "errors" and "notes" lists."""
    report = state["report"]
    started = time.monotonic()
    try:
        await asyncio.wait_for(scenario(args, state), args.timeout)
    except asyncio.TimeoutError:
        report["errors"].append(f"hard timeout after {args.timeout:.0f} s while {state['stage']}")
    except Failure as e:
        report["errors"].append(f"while {state['stage']}: {e}")
    except Exception as e:  # a client's error is a result too: report it, don't crash
        report["errors"].append(f"while {state['stage']}: {type(e).__name__}: {e}")
    for v in state["viewers"]:
        report["errors"].extend(v.errors)
    await cleanup(state, args.token)
    report["elapsed_s"] = round(time.monotonic() - started, 2)
    report["passed"] = not report["errors"]
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True, help="e.g. http://127.0.0.1:8080")
    ap.add_argument("--stream", default="aiortc-interop")
    ap.add_argument("--viewers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=5.0, help="watching time before DELETE")
    ap.add_argument("--json", help="write the report here too")
    ap.add_argument("--token", help="Bearer token (not needed in --dev mode on loopback)")
    ap.add_argument(
        "--admin-token",
        help="Bearer token for /api/streams and /api/workers (stream '*', both rights); "
        "default: --token",
    )
    ap.add_argument(
        "--attack",
        action="store_true",
        help="while the viewers watch, send garbage, forged STUN, fake DTLS and fake SRTP to "
        "every session's media port; check the drops are counted and the viewers unharmed",
    )
    ap.add_argument("--timeout", type=float, default=DEFAULT_HARD_TIMEOUT_S)
    args = ap.parse_args()
    if args.viewers < 1:
        ap.error("--viewers must be at least 1")

    run_and_report("whip_aiortc", args, main_async)


def run_and_report(name, args, main_async):
    """Runs main_async(args) under a watchdog, prints the JSON report (and writes --json), one
    FAIL line per error, and exits: 0 passed, 1 failed, 3 the watchdog's last resort."""

    # Last resort if something blocks the event loop or a thread refuses to die.
    def watchdog():
        sys.stderr.write(f"{name}: hard timeout ({args.timeout + WATCHDOG_EXTRA_S:.0f} s)\n")
        os._exit(3)

    timer = threading.Timer(args.timeout + WATCHDOG_EXTRA_S, watchdog)
    timer.daemon = True
    timer.start()

    report = asyncio.run(main_async(args))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    for e in report["errors"]:
        sys.stderr.write("FAIL: " + e + "\n")
    sys.stderr.write(f"{name}: " + ("PASS" if report["passed"] else "FAIL") + "\n")
    sys.stdout.flush()
    # aiortc may leave decoder threads behind; don't let them hold the exit.
    os._exit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
