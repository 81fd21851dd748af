#!/usr/bin/env bash
# Installs the Debian 12 packages that Switchyard's build and tests need.
#   --build-only    only what building and running the server needs (deploy/dev.sh)
#   --with-capture  also what re-capturing the test fixtures needs
#   --list          print the package names and exit
# Idempotent and non-interactive: skips what is present, and runs
# `apt-get update` only when something is missing and cannot be found in the
# current package lists (or the lists have never been fetched).
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake pkg-config ninja-build
  libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev zlib1g-dev
  libflatbuffers-dev flatbuffers-compiler libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libwebsockets-dev libwebsockets-evlib-uv nlohmann-json3-dev
  clang libclang-rt-14-dev clang-format
  curl procps
)

# The independent WebRTC clients the interop tests run (tests/interop/): headless Chromium
# driven by puppeteer-core from npm, and aiortc.
TEST_PACKAGES=(
  chromium python3-aiortc python3-av python3-numpy nodejs
  # The RTP ingest's sender (tests/interop/ingest_ffmpeg.py).
  ffmpeg
  # The fan-out benchmark's plot (bench/fanout.py; its smoke run is in the suite).
  gnuplot-nox
  # libsrtp for Python: bench/relay_smoke.py checks the relay's SRTP copies with it (aiortc
  # needs it as well).
  python3-pylibsrtp
)
# Debian's nodejs lacks npm; a nodejs from elsewhere (nodesource) bundles it and conflicts
# with Debian's npm package, so ask for npm only when no npm is on the PATH.
command -v npm >/dev/null || TEST_PACKAGES+=(npm)

# Only for re-capturing fixtures (tests/fixtures/*/capture/): --with-capture.
CAPTURE_PACKAGES=(
  tshark gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-nice python3-gst-1.0 gir1.2-gst-plugins-bad-1.0 python3-jwt
  python3-cryptography
)

want=("${BUILD_PACKAGES[@]}")
# Running the server needs only the build packages; the tests need their clients too.
if [[ " $* " != *" --build-only "* ]]; then want+=("${TEST_PACKAGES[@]}"); fi
if [[ " $* " == *" --with-capture "* ]]; then want+=("${CAPTURE_PACKAGES[@]}"); fi
if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${want[@]}"
  exit 0
fi

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# Update the lists only when one of the missing packages is unknown to them.
needs_update=0
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then needs_update=1; break; fi
done
if ((needs_update)); then
  $SUDO apt-get update -q
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
