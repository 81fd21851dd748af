#!/usr/bin/python3
"""Smoke run of `switchyard-bench load` (ctest bench.load.smoke). Usage: load_smoke.py BIN_DIR.

Against `switchyard-bench relay` with 4 outputs, for about 1 s each:
  - plain mode: everything arrives, latency measured from every packet;
  - srtp mode through the plain relay (SRTP passes through, the receivers unprotect a sample
    with the sender's key): everything arrives, latency measured, no decryption failure;
  - srtp mode through `relay --srtp` with --no-decrypt: everything counted, no latency.
When BIN_DIR/switchyard exists, webrtc mode against `switchyard --dev` with 2 viewers for 2 s:
media delivered, latency measured, every session deleted. Also: a bad command line exits 2 and
a server that is not there exits 1. No timing thresholds beyond sanity (delivery > 0.9 at a low
rate). Exit 0 when every check passed."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

RECEIVERS = 4
VIEWERS = 2
MIN_DELIVERY = 0.9
RUN_TIMEOUT_S = 60
SERVER_START_TIMEOUT_S = 15
RTC_PORTS = "45100-45199"  # the worker skips ports in use, so parallel tests may share it
SRTP_KEY = "00112233445566778899aabbccddeeff" + "0123456789abcdef0123456789ab"  # 16 + 14 bytes


def free_udp_ports(count):
    """The first of `count` consecutive free UDP ports on 127.0.0.1 (released again)."""
    for base in range(32000, 60000, 101):
        socks = []
        try:
            for i in range(count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.1", base + i))
                socks.append(s)
            return base
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_load(bin_dir, args):
    """Runs the load tool; returns (exit status, parsed JSON or None, stderr)."""
    p = subprocess.run([f"{bin_dir}/switchyard-bench", "load"] + args, capture_output=True,
                       text=True, timeout=RUN_TIMEOUT_S)
    report = None
    if p.returncode == 0:
        try:
            report = json.loads(p.stdout)
        except json.JSONDecodeError:
            pass
    return p.returncode, report, p.stderr


def check_report(name, report, receivers, want_latency, errors):
    if report is None:
        errors.append(f"{name}: no JSON report")
        return
    totals = report["totals"]
    sent = report["sent"]["packets"]
    summary = (f"{name}: sent {sent}, received {totals['received']}, delivery "
               f"{totals['delivery_ratio']:.4f}, latency {totals['latency_us']}")
    print(summary)
    if sent <= 0:
        errors.append(f"{name}: nothing sent")
    if len(report["receivers"]) != receivers:
        errors.append(f"{name}: {len(report['receivers'])} receivers reported, not {receivers}")
    if totals["delivery_ratio"] < MIN_DELIVERY:
        errors.append(f"{name}: delivery ratio {totals['delivery_ratio']}")
    for r in report["receivers"]:
        if r["received"] == 0:
            errors.append(f"{name}: receiver on port {r['port']} got nothing")
    samples = totals["latency_us"]["samples"]
    if want_latency and (samples == 0 or totals["latency_us"]["p50"] <= 0):
        errors.append(f"{name}: no latency measured")
    if not want_latency and samples != 0:
        errors.append(f"{name}: latency measured without reading payloads")
    if totals["decrypt_failures"] != 0 or totals["unreadable"] != 0:
        errors.append(f"{name}: {totals['decrypt_failures']} decryption failures, "
                      f"{totals['unreadable']} unreadable payloads")


def relay_case(bin_dir, name, relay_args, load_args, want_latency, errors):
    base = free_udp_ports(RECEIVERS + 1)
    relay_port = base + RECEIVERS
    relay = subprocess.Popen(
        [f"{bin_dir}/switchyard-bench", "relay", "--port", str(relay_port), "--dest-port",
         str(base), "--outputs", str(RECEIVERS), "--idle", "1"] + relay_args,
        stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        status, report, stderr = run_load(bin_dir, [
            "--to", f"127.0.0.1:{relay_port}", "--recv-port", str(base), "--receivers",
            str(RECEIVERS), "--seconds", "1", "--audio"] + load_args)
        if status != 0:
            errors.append(f"{name}: exit status {status}: {stderr.strip()}")
            return
        check_report(name, report, RECEIVERS, want_latency, errors)
        relay_out, _ = relay.communicate(timeout=10)
        counters = json.loads(relay_out.strip().splitlines()[-1])
        if counters["datagrams_in"] != report["sent"]["packets"]:
            errors.append(f"{name}: relay got {counters['datagrams_in']} datagrams, the tool "
                          f"sent {report['sent']['packets']}")
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait()


def wait_for_server(url, server):
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def webrtc_case(bin_dir, errors):
    http_port = free_tcp_port()
    url = f"http://127.0.0.1:{http_port}"
    server = subprocess.Popen(
        [f"{bin_dir}/switchyard", "--dev", "--http-listen", f"127.0.0.1:{http_port}",
         "--rtc-ports", RTC_PORTS, "--workers", "1", "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if not wait_for_server(url, server):
            errors.append("webrtc: the switchyard server did not come up")
            return
        status, report, stderr = run_load(bin_dir, [
            "--mode", "webrtc", "--server", url, "--stream", "load-smoke", "--viewers",
            str(VIEWERS), "--seconds", "2", "--audio"])
        if status != 0:
            errors.append(f"webrtc: exit status {status}: {stderr.strip()}")
            return
        check_report("webrtc", report, VIEWERS, True, errors)
        w = report["webrtc"]
        print(f"webrtc: setup {w['setup_s']} s, {w['srtp_profile']}, viewers {w['viewer_ms']}")
        if w["sessions_deleted"] != VIEWERS + 1 or w["delete_failures"] != 0:
            errors.append(f"webrtc: {w['sessions_deleted']} sessions deleted, "
                          f"{w['delete_failures']} failures")
        if report["sent"]["keyframes"] < 1:
            errors.append("webrtc: no keyframe sent")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main():
    bin_dir = sys.argv[1]
    errors = []
    relay_case(bin_dir, "plain", [], ["--mode", "plain"], True, errors)
    relay_case(bin_dir, "srtp through the plain relay", [],
               ["--mode", "srtp", "--send-key", SRTP_KEY], True, errors)
    relay_case(bin_dir, "srtp through relay --srtp", ["--srtp"],
               ["--mode", "srtp", "--send-key", SRTP_KEY, "--no-decrypt"], False, errors)

    status, _, _ = run_load(bin_dir, ["--mode", "plain", "--recv-port", "6000"])  # no --to
    if status != 2:
        errors.append(f"a bad command line exited {status}, not 2")
    status, _, _ = run_load(bin_dir, ["--mode", "webrtc", "--server",
                                      f"http://127.0.0.1:{free_tcp_port()}", "--seconds", "1"])
    if status != 1:
        errors.append(f"a server that is not there exited {status}, not 1")

    if os.path.exists(f"{bin_dir}/switchyard"):
        webrtc_case(bin_dir, errors)
    else:
        print(f"webrtc: skipped, no {bin_dir}/switchyard")

    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
