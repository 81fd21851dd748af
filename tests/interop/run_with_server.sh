#!/usr/bin/env bash
# Starts a fresh `switchyard --dev` on a free port with its own media port range, runs one
# interop client against it, and stops the server. Usage:
#   run_with_server.sh BIN_DIR NAME [--server-arg ARG]... -- command args...
# (the string @SERVER@ becomes the URL; each --server-arg is passed on to switchyard)
# Exit status: the client's, 77 (ctest: skipped) when a client tool is missing, 1 when the
# server did not start or did not exit cleanly.
set -uo pipefail
bin_dir=$1; name=$2; shift 2
server_args=()
while [[ ${1:-} == "--server-arg" ]]; do server_args+=("$2"); shift 2; done
[[ ${1:-} == "--" ]] && shift

for tool in "$@"; do
  case "$tool" in
    /usr/bin/chromium|chromium) [[ -x /usr/bin/chromium ]] || { echo "skip: no chromium"; exit 77; } ;;
  esac
done
if [[ "$*" == *.py* ]] && ! /usr/bin/python3 -c 'import aiortc' 2>/dev/null; then
  echo "skip: python3-aiortc is not installed"; exit 77
fi
if [[ "$*" == *ingest_ffmpeg.py* ]] && ! command -v ffmpeg >/dev/null; then
  echo "skip: ffmpeg is not installed"; exit 77
fi
if [[ "$*" == *.js* ]]; then
  [[ -x /usr/bin/chromium ]] || { echo "skip: no /usr/bin/chromium"; exit 77; }
  [[ -d "$(dirname "$0")/node_modules/puppeteer-core" ]] || { echo "skip: run npm ci in tests/interop"; exit 77; }
fi

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A media port range of its own, so tests running side by side do not share ports.
rtc_min=$(( 20000 + (port % 200) * 100 ))
rtc_max=$(( rtc_min + 99 ))
log=$(mktemp "/tmp/switchyard-${name}.XXXXXX.log")
"$bin_dir/switchyard" --dev --http-listen "127.0.0.1:$port" --rtc-ports "$rtc_min-$rtc_max" --workers 1 \
  "${server_args[@]}" \
  >"$log" 2>&1 &
server=$!
url="http://127.0.0.1:$port"
for _ in $(seq 100); do
  curl -sf "$url/healthz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || break
  sleep 0.1
done
if ! curl -sf "$url/healthz" >/dev/null 2>&1; then
  echo "server did not start:"; cat "$log"; kill $server 2>/dev/null; exit 1
fi

args=()
for a in "$@"; do args+=("${a//@SERVER@/$url}"); done
"${args[@]}"
status=$?

kill -TERM $server
wait $server
server_status=$?
if (( status != 0 || server_status != 0 )); then
  echo "---- server log ($log), exit $server_status ----"; tail -n 80 "$log"
fi
(( server_status != 0 && status == 0 )) && status=1
rm -f "$log"
exit $status
