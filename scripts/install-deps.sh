#!/usr/bin/env bash
# install-deps.sh: install the Debian packages grokmon needs, if missing.
# Idempotent and quiet when everything is already there. Needs root (or sudo)
# only when something is missing.
set -euo pipefail

packages=(
  build-essential pkg-config
  libmsgpack-dev liblz4-dev libopenblas-dev libjansson-dev  # build
  parallel lz4                                              # study driver, bench
  python3 python3-numpy python3-torch python3-scipy         # reference oracles
  libedlib-dev                                              # distance benchmark baseline
  libxml2-utils chromium                                    # report checks (xmllint, render)
  clang libclang-rt-14-dev                                  # fuzzing
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
