#!/usr/bin/env bash
# install-deps.sh [run|test]: install the Debian packages grokmon needs, if missing.
#   run    what building and running a study needs: the compiler, pkg-config, the six
#          libraries, GNU parallel and lz4 (`make demo`, the workers of a study)
#   test   run's, plus the test tools: the Python reference oracles (torch, numpy, scipy),
#          msgpack and lz4 for router-trace-torch (with torch; optional for a study),
#          edlib, xmllint, chromium, clang for the fuzzers, and the reference tokenizer
#          (tokenizers.js, `npm ci` in tests/reference/js; node from Debian if missing)
#          (`make test`; the default)
# Idempotent and quiet when everything is already there. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

run_packages=(
  build-essential pkg-config
  libmsgpack-dev liblz4-dev libopenblas-dev libjansson-dev  # build
  libpcre2-dev libutf8proc-dev                              # build: the tokenizer
  parallel lz4                                              # study driver, demo
)
test_packages=(
  python3 python3-numpy python3-torch python3-scipy         # reference oracles
  python3-msgpack python3-lz4                               # router-trace-torch (+ torch)
  libedlib-dev                                              # distance benchmark baseline
  libxml2-utils chromium                                    # report checks (xmllint, render)
  clang libclang-rt-14-dev                                  # fuzzing
)
# the reference tokenizer (tokenizers.js), from the npm registry into tests/reference/js
js_dir="$(dirname "$0")/../tests/reference/js"

mode=${1:-test}
case "$mode" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "install-deps: error: unknown mode '$mode' (run or test)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "$mode" = test ] && ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$mode" = test ] && [ ! -d "$js_dir/node_modules/@huggingface/tokenizers" ]; then
  echo "install-deps: npm ci in tests/reference/js (tokenizers.js)" >&2
  (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
