#!/usr/bin/python3
"""Side-by-side fan-out benchmark: the same load against several forwarders in one run.

One publisher stream of fixed-size RTP packets fans out to N outputs. For each forwarder the
script ramps the source packet rate until delivery falls below 99.9 %, narrows the point between
the last two steps (--refine), then measures added latency at half of the saturation rate. The
forwarder runs pinned to one CPU and the load tool (`switchyard-bench load`) to another;
--isolate also moves every other movable task off the forwarder's CPU for the run, and
--idle-latency-us keeps the CPUs out of slow-waking idle states. Forwarders:

  relay        switchyard-bench relay: recvmmsg + sendmmsg of copies, the floor
  relay-srtp   the same with SRTP per copy (AES_CM_128_HMAC_SHA1_80 done with OpenSSL EVP,
               a master key per output)
  relay-sockets  the relay sending each output's copies from a socket of its own (sendmsg)
  plain        a Switchyard worker, plain RTP transports (switchyard-bench sfu)
  srtp         the same with SRTP (AES_CM_128_HMAC_SHA1_80, or --srtp-profile)
  plain-shared, srtp-shared  the same with every viewer on the worker's shared port (UdpMux);
               plain-shared-nogso and srtp-shared-nogso without UDP GSO
  webrtc       the switchyard server: WHIP publisher, N WHEP viewers (ICE, DTLS, SRTP), on
               the worker's shared port; webrtc-own-ports with a port per transport
  janus        Debian's Janus 1.1 (not needed otherwise): a VideoRoom remote publisher and
               one rtp_forward per output, via bench/janus_peer.py; janus-srtp with SRTP, a
               key per output; janus-srtp-shared with one key for all (Janus encrypts once)
  peer:NAME    another forwarder, from --peer NAME=COMMAND (see bench/README.md)

Reported per forwarder: egress packets/s at saturation, CPU per 100k output packets, added
latency p50/p99 at 50 % of saturation, and the ratio to the relay measured in this run
(SRTP forwarders to relay-srtp). Writes JSON, Markdown and (with gnuplot) a PNG plot to
--out (default bench/results/). Usage: fanout.py --bin BUILD/bin [options]; --help for all.
"""

import argparse
import base64
import datetime
import json
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from janus_peer import forward_key

DELIVERY_TARGET = 0.999  # a step "keeps up" at or above this delivery ratio
RAMP_FACTOR = 1.3  # each step offers this much more than the last
STEPS_PAST_SATURATION = 1  # steps run after the first one below target
# Steps that halve, geometrically, the gap between the last ramp step that kept up and the
# first above it that did not: 2 narrow the ramp's 30 % grid to about 7 %.
REFINE_STEPS = 2
MAX_STEPS = 16
SETTLE_S = 0.3  # after a forwarder starts, before load
CLK_TCK = os.sysconf("SC_CLK_TCK")
SRTP_KEY = bytes(range(1, 31))  # the load tool's key: AES-CM 16 + 14 bytes, a fixed test key
GCM_KEY = bytes(range(1, 29))  # 16 + 12 bytes


def log(message):
    print(f"fanout: {message}", file=sys.stderr, flush=True)


def free_udp_ports(count, start=30000):
    """The first of `count` consecutive ports free for UDP on 127.0.0.1 (a best guess: they
    are released again before use)."""
    for base in range(start, 60000 - count, max(count, 1) + 7):
        socks = []
        try:
            for i in range(count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free UDP ports")


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def process_tree(pid):
    """pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            continue
    return total / CLK_TCK


def pinned(cpu, argv):
    return ["taskset", "-c", str(cpu)] + argv if cpu is not None else argv


def isolate_cpu(cpu):
    """Moves every other task that may run elsewhere off `cpu` (kernel threads too, where the
    kernel allows it), as a benchmark's measured core is usually isolated: on the machine the
    figures come from, a kernel thread (kdamond) ran 2 ms slices on the forwarder's core a few
    times a second, which alone set the p99 latency. Returns {tid: old CPUs} for restore_cpus.
    Tasks pinned to one CPU (per-CPU kernel threads) stay."""
    moved = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in map(int, tids):
            try:
                cpus = os.sched_getaffinity(tid)
                if cpu in cpus and len(cpus) > 1:
                    os.sched_setaffinity(tid, cpus - {cpu})
                    moved[tid] = cpus
            except OSError:
                pass  # gone, or not movable (PF_NO_SETAFFINITY, no permission)
    return moved


def hold_idle_latency(us):
    """Asks the kernel's PM QoS to keep every CPU in idle states that wake within `us`
    microseconds, for as long as the returned descriptor stays open (what tuned's
    latency-performance profile does). 0 leaves only the polling idle state: on a KVM guest
    with the haltpoll governor a halted vCPU took tens of µs to wake for a packet, on every
    burst. Needs root."""
    fd = os.open("/dev/cpu_dma_latency", os.O_WRONLY)
    os.write(fd, int(us).to_bytes(4, sys.byteorder, signed=True))
    return fd


def restore_cpus(moved):
    for tid, cpus in moved.items():
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:
            pass


class Forwarder:
    """One forwarder under test. start() returns where the load goes and the load tool's
    mode-specific arguments; stop() ends it."""

    srtp = False

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.proc = None

    def pids(self):
        return process_tree(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()


class Relay(Forwarder):
    def __init__(self, name, args, srtp, extra=()):
        super().__init__(name, args)
        self.srtp = srtp
        self.extra = list(extra)

    def start(self, viewers, recv_port):
        port = free_udp_ports(1, 20000)
        argv = [f"{self.args.bin}/switchyard-bench", "relay", "--port", str(port), "--dest-port",
                str(recv_port), "--outputs", str(viewers), "--idle", "600"]
        if self.srtp:
            argv += ["--srtp", "--srtp-key", SRTP_KEY.hex()]
        argv += self.extra
        self.proc = subprocess.Popen(pinned(self.args.forwarder_cpu, argv),
                                     stdout=subprocess.DEVNULL)
        time.sleep(SETTLE_S)
        mode = ["--mode", "plain"]
        if self.srtp:
            # Plain RTP in (the relay never decrypts), SRTP out: output d's master key is the
            # relay's --srtp-key with its first two bytes XORed with d.
            keys = []
            for d in range(viewers):
                key = bytearray(SRTP_KEY)
                key[0] ^= d & 0xff
                key[1] ^= (d >> 8) & 0xff
                keys.append(bytes(key).hex())
            mode = ["--mode", "srtp", "--send-plain", "--send-key", SRTP_KEY.hex(),
                    "--recv-key", ",".join(keys)]
        return ["--to", f"127.0.0.1:{port}"] + mode


class Sfu(Forwarder):
    """A Switchyard worker with plain transports, set up by `switchyard-bench sfu`."""

    def __init__(self, name, args, srtp, extra=()):
        super().__init__(name, args)
        self.srtp = srtp
        self.extra = list(extra)

    def start(self, viewers, recv_port):
        argv = [f"{self.args.bin}/switchyard-bench", "sfu", "--viewers", str(viewers),
                "--recv-port", str(recv_port), "--ports", "40000-49999"] + self.extra
        if self.args.forwarder_cpu is not None:
            argv += ["--cpu", str(self.args.forwarder_cpu)]
        key = GCM_KEY if self.args.srtp_profile == "aead-aes-128-gcm" else SRTP_KEY
        if self.srtp:
            argv += ["--srtp", self.args.srtp_profile, "--send-key",
                     base64.b64encode(key).decode()]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        ready = json.loads(self.proc.stdout.readline() or "{}")
        if not ready.get("ready"):
            raise RuntimeError(f"{self.name}: switchyard-bench sfu did not start")
        self.worker_pid = ready["workerPid"]
        time.sleep(SETTLE_S)
        mode = ["--mode", "plain"]
        if self.srtp:
            # Each viewer transport encrypts with its own key: the receivers get one each.
            keys = ",".join(base64.b64decode(k).hex() for k in ready["recvKeys"])
            mode = ["--mode", "srtp", "--srtp-profile", self.args.srtp_profile, "--send-key",
                    key.hex(), "--recv-key", keys]
        return ["--to", f"127.0.0.1:{ready['port']}"] + mode

    def pids(self):
        return [self.worker_pid] if self.proc and self.proc.poll() is None else []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()  # ends the run; it prints the worker's counters
            self.done = self.proc.stdout.readline()
            self.proc.wait(15)
        self.proc = None


class Server(Forwarder):
    """The switchyard server; the load tool publishes with WHIP and views with WHEP."""

    srtp = True

    def __init__(self, name, args, extra=()):
        super().__init__(name, args)
        self.http = None
        self.step = 0
        self.extra = list(extra)

    def start(self, viewers, recv_port):
        if self.proc is None:
            self.http = free_tcp_port()
            argv = [f"{self.args.bin}/switchyard", "--dev", "--http-listen",
                    f"127.0.0.1:{self.http}", "--rtc-ports", "40000-49999", "--workers", "1"]
            argv += self.extra
            self.proc = subprocess.Popen(pinned(self.args.forwarder_cpu, argv),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", self.http), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            time.sleep(0.5)  # the worker comes up after the HTTP port
        self.step += 1
        return ["--mode", "webrtc", "--server", f"http://127.0.0.1:{self.http}", "--stream",
                f"fanout{self.step}"]

    def stop(self):
        pass  # one server for all steps; sessions end with each load run

    def close(self):
        Forwarder.stop(self)


class Janus(Forwarder):
    """Debian's Janus 1.1 through bench/janus_peer.py: a VideoRoom remote publisher (plain RTP
    in, SSRC 1000) and one rtp_forward per output; janus-srtp encrypts every output."""

    def __init__(self, name, args, srtp, shared_key=False):
        super().__init__(name, args)
        self.srtp = srtp
        self.shared_key = shared_key

    def start(self, viewers, recv_port):
        port = free_udp_ports(1, 20000)
        here = os.path.dirname(os.path.abspath(__file__))
        argv = [sys.executable, os.path.join(here, "janus_peer.py"), str(port), str(recv_port),
                str(viewers)]
        if self.srtp:
            argv.append("--srtp-shared" if self.shared_key else "--srtp")
        self.proc = subprocess.Popen(pinned(self.args.forwarder_cpu, argv),
                                     stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{self.name}: janus_peer.py did not start (apt-get install janus)")
        time.sleep(SETTLE_S)
        mode = ["--mode", "plain"]
        if self.srtp:
            # Plain in (Debian's Janus cannot decrypt into a remote publisher), SRTP out.
            keys = [forward_key(0 if self.shared_key else i).hex() for i in range(viewers)]
            mode = ["--mode", "srtp", "--send-plain", "--recv-key", ",".join(keys)]
        return ["--to", f"127.0.0.1:{port}", "--video-ssrc", "1000"] + mode


class Peer(Forwarder):
    """Another SFU's forwarder from a command template: {port} is where it listens,
    {recv_port} the first output port and {viewers} the number of outputs."""

    def __init__(self, name, args, template):
        super().__init__(name, args)
        self.template = template

    def start(self, viewers, recv_port):
        port = free_udp_ports(1, 20000)
        argv = shlex.split(self.template.format(port=port, recv_port=recv_port, viewers=viewers))
        self.proc = subprocess.Popen(pinned(self.args.forwarder_cpu, argv),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(max(SETTLE_S, self.args.peer_settle))
        return ["--to", f"127.0.0.1:{port}", "--mode", "plain"] + shlex.split(
            self.args.peer_load_args)


def run_step(fwd, args, rate, viewers, extra=()):
    recv_port = free_udp_ports(viewers)
    load_args = fwd.start(viewers, recv_port)
    try:
        pids = fwd.pids()
        cpu0 = cpu_seconds(pids)
        argv = [f"{args.bin}/switchyard-bench", "load", "--rate", str(int(rate)), "--packet-size",
                str(args.packet_size), "--seconds", str(args.seconds), "--receivers", str(viewers),
                "--recv-port", str(recv_port)] + load_args
        if args.load_cpu is not None:
            argv += ["--cpu", str(args.load_cpu)]
        if args.burst_interval_us is not None:
            argv += ["--burst-interval-us", str(args.burst_interval_us)]
        argv += list(extra)
        t0 = time.time()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=args.seconds + 60)
        cpu1 = cpu_seconds(pids)
        if done.returncode != 0:
            raise RuntimeError(f"load failed ({done.returncode}): {done.stderr.strip()[-400:]}")
        report = json.loads(done.stdout)
        if args.keep_reports:
            # The load tool's whole report: per receiver latency, loss, order.
            os.makedirs(args.keep_reports, exist_ok=True)
            path = os.path.join(args.keep_reports, f"{fwd.name}-{int(rate)}-{time.time_ns()}.json")
            with open(path, "w") as f:
                f.write(done.stdout)
    finally:
        fwd.stop()
    totals = report["totals"]
    latency = totals.get("latency_us") or {}
    kernel = totals.get("latency_kernel_us") or {}
    received = totals["received"]
    forwarder_cpu = cpu1 - cpu0
    # The steady window (the last 75 % of the sending time) is what counts: a forwarder that
    # falls behind still delivers its backlog during the drain, which hides saturation.
    steady = totals.get("steady") or {}
    return {
        "rate_pps": rate,
        "offered_out_pps": rate * viewers,
        "egress_pps": steady.get("egress_pps", totals["received_pps"]),
        "delivery": steady.get("delivery_ratio", totals["delivery_ratio"]),
        "delivery_whole_run": totals["delivery_ratio"],
        # Send time to the receiving socket's kernel stamp: what the forwarder adds (on
        # loopback the stamp is taken inside the forwarder's send), free of the load tool's
        # delay in reading. The reader's figures include that delay.
        "latency_p50_us": kernel.get("p50"),
        "latency_p99_us": kernel.get("p99"),
        "reader_latency_p50_us": latency.get("p50"),
        "reader_latency_p99_us": latency.get("p99"),
        "forwarder_cpu_s": round(forwarder_cpu, 3),
        "forwarder_cpu_ms_per_100k": round(forwarder_cpu * 1000 / (received / 1e5), 2)
        if received else None,
        "load_cpu_percent": report.get("cpu", {}).get("percent_of_one_core"),
        "wall_s": round(time.time() - t0, 2),
    }


def latency_steps(fwd, args, rate, what):
    """The latency step, --latency-repeats times: one 2-second sample's p99 moves by a factor of
    several between runs on a shared guest (a stall of a few ms is enough), so the median run's
    figures are reported, the others beside them."""
    runs = [run_step(fwd, args, rate, args.viewers, ["--wait", args.latency_wait])
            for _ in range(max(1, args.latency_repeats))]
    runs.sort(key=lambda r: r["latency_p99_us"] if r["latency_p99_us"] is not None else -1)
    median = dict(runs[len(runs) // 2])
    median["runs_latency_p99_us"] = [r["latency_p99_us"] for r in runs]
    median["runs_reader_latency_p99_us"] = sorted(r["reader_latency_p99_us"] or 0 for r in runs)
    log(f"{fwd.name}: {what}, latency p50 {median['latency_p50_us']} us, p99 "
        f"{median['latency_p99_us']} us (median of p99s {median['runs_latency_p99_us']}; at the "
        f"reader p99 {median['runs_reader_latency_p99_us']})")
    return median


def measure(fwd, args):
    log(f"{fwd.name}: ramping")
    steps = []
    rate = args.start_rate
    below = 0
    for _ in range(args.max_steps):
        step = run_step(fwd, args, rate, args.viewers)
        steps.append(step)
        log(f"{fwd.name}: {rate:.0f} pps x {args.viewers} -> egress {step['egress_pps']:.0f}/s, "
            f"delivery {step['delivery']:.4f}, load CPU {step['load_cpu_percent']}%")
        if step["delivery"] < DELIVERY_TARGET:
            below += 1
            if below > STEPS_PAST_SATURATION:
                break
        rate *= RAMP_FACTOR
    for _ in range(args.refine):
        good = max((s["rate_pps"] for s in steps if s["delivery"] >= DELIVERY_TARGET),
                   default=None)
        above = [s["rate_pps"] for s in steps
                 if s["delivery"] < DELIVERY_TARGET and (good is None or s["rate_pps"] > good)]
        if good is None or not above:
            break
        rate = (good * min(above)) ** 0.5
        step = run_step(fwd, args, rate, args.viewers)
        step["refine"] = True  # off the ramp's grid: left out of the CPU-by-load table
        steps.append(step)
        log(f"{fwd.name}: refine {rate:.0f} pps x {args.viewers} -> egress "
            f"{step['egress_pps']:.0f}/s, delivery {step['delivery']:.4f}")
    steps.sort(key=lambda s: s["rate_pps"])
    kept = [s for s in steps if s["delivery"] >= DELIVERY_TARGET]
    # Saturation: the most a forwarder delivered while keeping up (steady delivery at least
    # 99.9 %). Past it a forwarder may still pass more packets for a while, with losses and
    # growing delay: the peak is kept as well, but is not the figure compared.
    saturation = max((s["egress_pps"] for s in kept), default=0)
    peak = max(s["egress_pps"] for s in steps)
    half = None
    if kept and not args.no_latency:
        half_rate = max(1, max(s["rate_pps"] for s in kept) / 2)
        # Receivers that never sleep: latency then has no polling interval in it (the load
        # tool has its own CPU, so spinning costs the forwarder nothing).
        half = latency_steps(fwd, args, half_rate, "at half load")
    # Latency also at one load for every forwarder: at half of each one's saturation a faster
    # forwarder is measured at a higher rate, where the load tool and the kernel's loopback
    # path add delay of their own.
    common = None
    if args.latency_load and not args.no_latency:
        common = latency_steps(fwd, args, max(1, args.latency_load / args.viewers),
                               f"at {args.latency_load:.0f} pkt/s out")
    at_sat = max(kept or steps, key=lambda s: s["egress_pps"])
    return {
        "forwarder": fwd.name,
        "srtp": fwd.srtp,
        "saturation_egress_pps": saturation,
        "peak_egress_pps": peak,
        "cpu_ms_per_100k": at_sat["forwarder_cpu_ms_per_100k"],
        "load_cpu_percent_at_saturation": at_sat["load_cpu_percent"],
        "half_load": half,
        "common_load": common,
        "steps": steps,
    }


def memory_per_viewer(args, small=10, large=1010):
    """Worker memory per viewer (a plain transport with its socket and one video consumer):
    the peak RSS of a worker with `large` viewers minus one with `small`, per viewer."""
    rss = {}
    for viewers in (small, large):
        recv_port = free_udp_ports(1, 30000)
        ran = subprocess.run([f"{args.bin}/switchyard-bench", "sfu", "--viewers", str(viewers),
                              "--recv-port", str(recv_port), "--ports", "40000-49999",
                              "--seconds", "0.2"], capture_output=True, text=True, timeout=120)
        lines = [json.loads(l) for l in ran.stdout.splitlines() if l.startswith("{")]
        done = [l for l in lines if l.get("done")]
        if ran.returncode != 0 or not done:
            log(f"memory: sfu with {viewers} viewers failed: {ran.stderr.strip()[-300:]}")
            return None
        rss[viewers] = done[0]["workerMaxRssKb"]
    per = (rss[large] - rss[small]) / (large - small)
    log(f"memory: worker RSS {rss[small]} KiB with {small} viewers, {rss[large]} KiB with "
        f"{large}: {per:.1f} KiB per viewer")
    return {"small": small, "large": large, "rss_kib": rss, "kib_per_viewer": round(per, 1)}


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "python": platform.python_version()}


def p99_range(step):
    runs = [r for r in step.get("runs_latency_p99_us") or [] if r is not None]
    return f" ({min(runs)}–{max(runs)})" if len(runs) > 1 else ""


def cpu_by_load_table(result):
    """CPU per 100k output packets at each ramp step: the forwarders' costs at equal load,
    steadier from run to run than the saturation point."""
    loads = sorted({round(s["offered_out_pps"]) for r in result["forwarders"] for s in r["steps"]
                    if not s.get("refine")})
    if not loads:
        return []
    lines = ["", "Forwarder CPU ms per 100k output packets at each offered load "
             "(`*`: delivery below 99.9 % there):", "",
             "| forwarder | " + " | ".join(f"{l // 1000:,}k" for l in loads) + " |",
             "|---|" + "--:|" * len(loads)]
    for r in result["forwarders"]:
        by_load = {round(s["offered_out_pps"]): s for s in r["steps"]}
        cells = []
        for l in loads:
            s = by_load.get(l)
            if s is None or s.get("forwarder_cpu_ms_per_100k") is None:
                cells.append("")
            else:
                star = "" if s["delivery"] >= DELIVERY_TARGET else "*"
                cells.append(f"{s['forwarder_cpu_ms_per_100k']:.0f}{star}")
        lines.append(f"| {r['forwarder']} | " + " | ".join(cells) + " |")
    return lines


def markdown(result):
    lines = [
        f"# Fan-out, {result['viewers']} outputs, {result['packet_size']}-byte packets",
        "",
        f"{result['date']} · {result['machine']['cpu']} · {result['machine']['cores']} cores · "
        f"Linux {result['machine']['kernel']} · forwarder on CPU {result['forwarder_cpu']}, "
        f"load on CPU {result['load_cpu']} · {result['seconds']} s per step"
        + (f" · forwarder CPU isolated ({result['isolated_tasks_moved']} tasks moved off it)"
           if result.get("isolated_tasks_moved") else "")
        + (f" · CPU idle states limited to {result['idle_latency_us']} µs wake-up (PM QoS)"
           if result.get("idle_latency_us") is not None else ""),
        "",
        "| forwarder | egress pkt/s at saturation | ratio to relay | peak egress pkt/s | "
        "CPU ms per 100k pkts | added latency p50 / p99 µs at half load | "
        "the same at the reader | "
        f"added latency p50 / p99 µs at {result['latency_load']:,.0f} pkt/s | "
        "the same at the reader | load tool CPU |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in result["forwarders"]:
        # A step that was not run (--no-latency) or a forwarder whose copies the load tool
        # cannot read (a peer's, with --no-decrypt) has no latency.
        half = {k: v for k, v in (r.get("half_load") or {}).items() if v is not None}
        common = {k: v for k, v in (r.get("common_load") or {}).items() if v is not None}
        ratio = r.get("ratio_to_relay")
        lines.append(
            f"| {r['forwarder']} | {r['saturation_egress_pps']:,.0f} | "
            f"{'%.2f' % ratio if ratio is not None else '–'} | {r['peak_egress_pps']:,.0f} | "
            f"{r['cpu_ms_per_100k']} | "
            f"{half.get('latency_p50_us', '–')} / {half.get('latency_p99_us', '–')}"
            f"{p99_range(half)} | "
            f"{half.get('reader_latency_p50_us', '–')} / "
            f"{half.get('reader_latency_p99_us', '–')} | "
            f"{common.get('latency_p50_us', '–')} / {common.get('latency_p99_us', '–')}"
            f"{p99_range(common)} | "
            f"{common.get('reader_latency_p50_us', '–')} / "
            f"{common.get('reader_latency_p99_us', '–')} | "
            f"{r['load_cpu_percent_at_saturation']} % |")
    lines += cpu_by_load_table(result)
    memory = result.get("memory")
    if memory:
        lines += ["", f"Worker memory per viewer (a plain transport, its socket and one video "
                  f"consumer): {memory['kib_per_viewer']} KiB (peak RSS {memory['rss_kib']} KiB "
                  f"with {memory['small']} and {memory['large']} viewers)."]
    lines += ["", "Saturation: the highest egress while steady delivery (the last 75 % of each "
              "step) stayed at or above 99.9 %, over the ramp's steps (x1.3 each) and "
              f"{result.get('refine', 0)} refining steps between the last good one and the next; "
              "peak: the highest at any step. Ratios: plain "
              "forwarders against `relay`, SRTP ones (and `webrtc`) against `relay-srtp`, "
              "measured in the same run. CPU per 100k packets at saturation. Added latency: "
              "from the send time in each packet to the kernel's receive stamp on the output "
              "socket (SO_TIMESTAMPNS; on loopback taken inside the forwarder's send), so the "
              "load tool's own delay in reading is left out; 'at the reader' is to when the "
              "load tool read the packet (receivers spinning, `--wait busy`). Each latency "
              f"step ran {result.get('latency_repeats', 1)} times: the run with the median p99 "
              "is shown, the range of p99s in brackets. A load tool near 100 % CPU at saturation "
              "means the load tool, not the forwarder, may have set the limit."]
    return "\n".join(lines) + "\n"


def plot(result, stem):
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no plot (apt install gnuplot-nox)")
        return None
    # The plot's data lives only as long as gnuplot needs it: the JSON has every step.
    data_file = tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False)
    data = data_file.name
    with data_file as f:
        for r in result["forwarders"]:
            f.write(f"# {r['forwarder']}\n")
            for s in r["steps"]:
                f.write(f"{s['offered_out_pps']} {s['egress_pps']} {s['latency_p99_us'] or 0}\n")
            f.write("\n\n")
    png = f"{stem}.png"
    blocks = ", ".join(
        f"'{data}' index {i} using 1:2 with linespoints title '{r['forwarder']}'"
        for i, r in enumerate(result["forwarders"]))
    lat = ", ".join(
        f"'{data}' index {i} using 1:3 with linespoints title '{r['forwarder']}'"
        for i, r in enumerate(result["forwarders"]))
    script = f"""
set terminal pngcairo size 1000,900 noenhanced
set output '{png}'
set multiplot layout 2,1
set title 'egress packets/s against offered output packets/s ({result['viewers']} outputs)'
set xlabel 'offered output packets/s'
set ylabel 'egress packets/s'
set key left top
plot {blocks}
set title 'added latency p99 (us) against offered output packets/s'
set ylabel 'latency p99 (us)'
set logscale y
plot {lat}
unset multiplot
"""
    ran = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.unlink(data)
    if ran.returncode != 0:
        log(f"gnuplot failed: {ran.stderr.strip()}")
        return None
    return png


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True, help="directory with switchyard-bench, switchyard")
    p.add_argument("--forwarders", default="relay,relay-srtp,plain,srtp,webrtc")
    p.add_argument("--viewers", type=int, default=100)
    p.add_argument("--packet-size", type=int, default=1200)
    p.add_argument("--seconds", type=float, default=2.0, help="per step")
    p.add_argument("--start-rate", type=float, default=500, help="source packets/s, first step")
    p.add_argument("--max-steps", type=int, default=MAX_STEPS)
    p.add_argument("--srtp-profile", default="aes128-cm-sha1-80",
                   choices=["aes128-cm-sha1-80", "aead-aes-128-gcm"])
    p.add_argument("--forwarder-cpu", type=int, default=0)
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--peer", action="append", default=[], metavar="NAME=COMMAND",
                   help="another forwarder: {port}, {recv_port}, {viewers} are filled in")
    p.add_argument("--peer-settle", type=float, default=1.0)
    p.add_argument("--peer-load-args", default="",
                   help="extra load tool arguments for peers, e.g. '--video-ssrc 1000' (Janus)")
    p.add_argument("--refine", type=int, default=REFINE_STEPS,
                   help="steps that narrow the saturation point between the ramp's last good "
                        "step and the next (0: the ramp's grid only)")
    p.add_argument("--no-latency", action="store_true", help="skip the half-load step")
    p.add_argument("--latency-load", type=float, default=100000,
                   help="egress pkt/s of the latency step every forwarder shares (0: none)")
    p.add_argument("--burst-interval-us", type=float,
                   help="the source's least time between bursts (load tool default: 1000)")
    p.add_argument("--latency-repeats", type=int, default=3,
                   help="runs of each latency step; the one with the median p99 is reported")
    p.add_argument("--latency-wait", default="busy", choices=["busy", "interval", "epoll"],
                   help="how the load tool's receivers wait in the half-load step")
    p.add_argument("--isolate", action="store_true",
                   help="move every movable task off the forwarder's CPU for the run (needs "
                        "root or CAP_SYS_NICE); put back at the end")
    p.add_argument("--idle-latency-us", type=int, metavar="US",
                   help="hold /dev/cpu_dma_latency at US for the run (PM QoS: idle states that "
                        "wake within US µs; 0 = polling idle only; needs root)")
    p.add_argument("--no-memory", action="store_true", help="skip the memory per viewer step")
    p.add_argument("--memory-viewers", type=int, default=1000,
                   help="viewers added for the memory per viewer step")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "results"))
    p.add_argument("--name", default="fanout")
    p.add_argument("--keep-reports", metavar="DIR",
                   help="also write every load run's whole JSON report (per receiver) to DIR")
    args = p.parse_args()
    if (os.cpu_count() or 1) < 2:
        args.forwarder_cpu = args.load_cpu = None

    forwarders = []
    for name in args.forwarders.split(","):
        if name == "relay":
            forwarders.append(Relay(name, args, False))
        elif name == "relay-srtp":
            forwarders.append(Relay(name, args, True))
        elif name == "relay-sockets":
            forwarders.append(Relay(name, args, False, ["--socket-per-output"]))
        elif name == "plain":
            forwarders.append(Sfu(name, args, False))
        elif name == "srtp":
            forwarders.append(Sfu(name, args, True))
        elif name in ("plain-shared", "srtp-shared"):
            forwarders.append(Sfu(name, args, name == "srtp-shared", ["--shared-port", "true"]))
        elif name in ("plain-shared-nogso", "srtp-shared-nogso"):
            forwarders.append(Sfu(name, args, name.startswith("srtp"),
                                  ["--shared-port", "true", "--gso", "false"]))
        elif name.startswith("plain-nobatch"):
            forwarders.append(Sfu(name, args, False, ["--batching", "false", "--gso", "false"]))
        elif name.startswith("plain-nogso"):
            forwarders.append(Sfu(name, args, False, ["--gso", "false"]))
        elif name.startswith("plain-batch") or name.startswith("srtp-batch"):
            # plain-batch256: the worker's send pool at 256 datagrams
            slots = name.split("batch", 1)[1]
            forwarders.append(Sfu(name, args, name.startswith("srtp"), ["--batch", slots]))
        elif name == "webrtc":
            forwarders.append(Server(name, args))
        elif name == "webrtc-own-ports":
            forwarders.append(Server(name, args, ["--rtc-shared-port", "off"]))
        elif name in ("janus", "janus-srtp", "janus-srtp-shared"):
            forwarders.append(Janus(name, args, name != "janus", name == "janus-srtp-shared"))
        elif name:
            sys.exit(f"fanout: unknown forwarder {name}")
    for spec in args.peer:
        name, _, command = spec.partition("=")
        forwarders.append(Peer(f"peer:{name}", args, command))

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(), "viewers": args.viewers, "packet_size": args.packet_size,
        "seconds": args.seconds, "forwarder_cpu": args.forwarder_cpu, "load_cpu": args.load_cpu,
        "latency_load": args.latency_load,
        "latency_repeats": args.latency_repeats,
        "refine": args.refine,
        "burst_interval_us": args.burst_interval_us,
        "forwarders": [],
    }
    moved = {}
    qos_fd = None
    if args.idle_latency_us is not None:
        qos_fd = hold_idle_latency(args.idle_latency_us)
        result["idle_latency_us"] = args.idle_latency_us
        log(f"idle latency: holding /dev/cpu_dma_latency at {args.idle_latency_us} us")
    if args.isolate and args.forwarder_cpu is not None:
        moved = isolate_cpu(args.forwarder_cpu)
        log(f"isolate: moved {len(moved)} tasks off CPU {args.forwarder_cpu}")
        result["isolated_tasks_moved"] = len(moved)
    try:
        for fwd in forwarders:
            try:
                result["forwarders"].append(measure(fwd, args))
            finally:
                fwd.close()
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError) as e:
        log(f"failed: {e}")
        return 1
    finally:
        restore_cpus(moved)
        if qos_fd is not None:
            os.close(qos_fd)
    if not args.no_memory:
        result["memory"] = memory_per_viewer(args, large=10 + args.memory_viewers)
    by_name = {r["forwarder"]: r for r in result["forwarders"]}
    for r in result["forwarders"]:
        reference = by_name.get("relay-srtp" if r["srtp"] else "relay")
        if reference and reference["saturation_egress_pps"]:
            r["ratio_to_relay"] = round(r["saturation_egress_pps"] /
                                        reference["saturation_egress_pps"], 3)
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, args.name)
    with open(f"{stem}.json", "w") as f:
        json.dump(result, f, indent=2)
    with open(f"{stem}.md", "w") as f:
        f.write(markdown(result))
    png = plot(result, stem)
    log(f"wrote {stem}.json, {stem}.md" + (f", {png}" if png else ""))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
