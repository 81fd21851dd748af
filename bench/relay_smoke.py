#!/usr/bin/python3
"""Smoke run of `switchyard-bench relay`: N receivers get every datagram sent to the relay,
plain and with --srtp. SRTP copies are checked with libsrtp (Debian's, through pylibsrtp, which
aiortc uses): each output's copy unprotects with that output's master key to the packet sent,
across a sequence number wrap (the rollover counter).
Usage: relay_smoke.py BIN_DIR. Exit 0 when every copy arrived as described."""

import json
import socket
import subprocess
import sys
import time

from pylibsrtp import Policy, Session

OUTPUTS = 4
DATAGRAMS = 20
FIRST_SEQUENCE = 65530  # the run crosses 65535 -> 0
MASTER_KEY = bytes(range(100, 130))  # 16-byte key + 14-byte salt


def output_key(index):
    """The relay's master key for an output: --srtp-key with bytes 0 and 1 XORed with index."""
    key = bytearray(MASTER_KEY)
    key[0] ^= index & 0xff
    key[1] ^= (index >> 8) & 0xff
    return bytes(key)


def free_port(count=1):
    """The first of `count` consecutive free UDP ports on 127.0.0.1."""
    for base in range(31000, 60000, 97):
        socks = []
        try:
            for i in range(count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.1", base + i))
                socks.append(s)
            return base, socks
        except OSError:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def run(bin_dir, srtp):
    base, receivers = free_port(OUTPUTS)
    for r in receivers:
        r.settimeout(2)
    relay_port, holder = free_port(1)
    holder[0].close()
    args = [f"{bin_dir}/switchyard-bench", "relay", "--port", str(relay_port), "--dest-port",
            str(base), "--outputs", str(OUTPUTS), "--idle", "0.5"]
    if srtp:
        args += ["--srtp", "--srtp-key", MASTER_KEY.hex()]
    relay = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = []
    for i in range(DATAGRAMS):
        sequence = (FIRST_SEQUENCE + i) % 65536
        packet = (bytes([0x80, 96]) + sequence.to_bytes(2, "big") + bytes(4) +
                  (0x11223344).to_bytes(4, "big") + bytes([i]) * 200)
        sent.append(packet)
        sender.sendto(packet, ("127.0.0.1", relay_port))
    errors = []
    for index, r in enumerate(receivers):
        got = []
        try:
            while len(got) < DATAGRAMS:
                got.append(r.recv(2048))
        except socket.timeout:
            pass
        if len(got) != DATAGRAMS:
            errors.append(f"output {index}: {len(got)} of {DATAGRAMS} datagrams")
            continue
        session = Session(policy=Policy(key=output_key(index),
                                        ssrc_type=Policy.SSRC_ANY_INBOUND)) if srtp else None
        for packet, copy in zip(sent, got):
            if not srtp and copy != packet:
                errors.append(f"output {index}: a plain copy differs")
                break
            if srtp:
                try:
                    plain = session.unprotect(copy)
                except Exception as e:  # pylibsrtp raises Error for a bad tag
                    errors.append(f"output {index}: libsrtp refused a copy: {e}")
                    break
                if plain != packet or copy[12:len(packet)] == packet[12:]:
                    errors.append(f"output {index}: an SRTP copy did not decrypt to the packet")
                    break
    out, _ = relay.communicate(timeout=10)
    report = json.loads(out.strip().splitlines()[-1])
    if report["datagrams_in"] != DATAGRAMS or report["datagrams_out"] != DATAGRAMS * OUTPUTS:
        errors.append(f"relay counters: {report}")
    return report, errors


def main():
    bin_dir = sys.argv[1]
    failures = []
    for srtp in (False, True):
        report, errors = run(bin_dir, srtp)
        print(json.dumps(report))
        failures += errors
    for e in failures:
        print("FAIL:", e, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
