#!/usr/bin/python3
"""Smoke run of bench/fanout.py (no thresholds): every forwarder is measured at a low rate with
a few outputs, and the run writes its JSON and Markdown report (and its plot when gnuplot is
installed). Usage: fanout_smoke.py BIN_DIR. Exit 0 when the report is complete and every
forwarder delivered."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

FORWARDERS = ["relay", "relay-srtp", "plain", "srtp", "webrtc"]


def main():
    bin_dir = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as out:
        ran = subprocess.run(
            [sys.executable, os.path.join(here, "fanout.py"), "--bin", bin_dir, "--forwarders",
             ",".join(FORWARDERS), "--viewers", "4", "--seconds", "0.5", "--start-rate", "200",
             "--max-steps", "1", "--memory-viewers", "100", "--latency-load", "400",
             "--latency-repeats", "1", "--out", out, "--name", "smoke"],
            capture_output=True, text=True, timeout=240)
        sys.stderr.write(ran.stderr)
        if ran.returncode != 0:
            print(f"fanout.py exited with {ran.returncode}")
            return 1
        with open(os.path.join(out, "smoke.json")) as f:
            result = json.load(f)
        errors = []
        names = [r["forwarder"] for r in result["forwarders"]]
        if names != FORWARDERS:
            errors.append(f"forwarders {names}")
        for r in result["forwarders"]:
            step = r["steps"][0]
            if step["delivery"] < 0.9:
                errors.append(f"{r['forwarder']}: delivery {step['delivery']}")
            if r.get("ratio_to_relay") is None:
                errors.append(f"{r['forwarder']}: no ratio to the relay")
            if not r["srtp"] and (r["half_load"] or {}).get("latency_p50_us") is None:
                errors.append(f"{r['forwarder']}: no latency at half load")
        # 100 extra viewers may fit in pages the worker already had: 0 is a valid reading.
        if (result.get("memory") or {}).get("kib_per_viewer") is None:
            errors.append("no memory per viewer")
        if not os.path.getsize(os.path.join(out, "smoke.md")):
            errors.append("empty Markdown report")
        if shutil.which("gnuplot") and not os.path.exists(os.path.join(out, "smoke.png")):
            errors.append("gnuplot is installed but no plot was written")
        for e in errors:
            print(e)
        print(ran.stdout)
        return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
