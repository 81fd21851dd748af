#!/usr/bin/env bash
# The second set-up command: install what is missing and run the whole test suite:
#   1. every fuzz target for a bounded time (clang, libFuzzer + ASan/UBSan),
#   2. the full suite under AddressSanitizer/LeakSanitizer and UBSan,
#   3. the full suite on the Release build (its ctest summary closes the output).
# Environment: SWITCHYARD_FUZZ_SECONDS (default 20) per fuzz target;
#              SWITCHYARD_TEST_QUICK=1 runs only step 3.
set -uo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh || exit 1
# puppeteer-core for the Chromium interop tests, exactly as the lockfile says.
if [[ ! -d tests/interop/node_modules/puppeteer-core ||
      tests/interop/package-lock.json -nt tests/interop/node_modules ]]; then
  (cd tests/interop && npm ci --no-audit --no-fund) || exit 1
fi

status=0
run_suite() {  # name build-dir ctest-args...
  local name=$1 dir=$2
  shift 2
  echo "=== $name ==="
  (cd "$dir" && ctest --output-on-failure --no-tests=error "$@") || status=1
}

if [[ "${SWITCHYARD_TEST_QUICK:-0}" != 1 ]]; then
  if CC=clang CXX=clang++ deploy/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSWITCHYARD_BUILD_FUZZ=ON -DSWITCHYARD_BUILD_TESTS=OFF -DSWITCHYARD_BUILD_BENCH=OFF \
      -DSWITCHYARD_FUZZ_SECONDS="${SWITCHYARD_FUZZ_SECONDS:-20}"; then
    run_suite "fuzz targets" build-fuzz -L fuzz -j2
  else
    echo "fuzz build failed"; status=1
  fi
  if deploy/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=address,undefined \
      -DSWITCHYARD_BUILD_BENCH=OFF; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
      run_suite "AddressSanitizer + LeakSanitizer + UBSan" build-asan -j2
  else
    echo "sanitizer build failed"; status=1
  fi
fi

if deploy/build.sh build -DCMAKE_BUILD_TYPE=Release; then
  run_suite "test suite (Release)" build -j2
else
  echo "release build failed"; status=1
fi
exit $status
