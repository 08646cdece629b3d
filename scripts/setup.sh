#!/usr/bin/env bash
# Installs what fmon-dpdk needs to build, test and run on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(build-essential pkg-config clang libclang-dev libdpdk-dev dpdk libpcap-dev
      tcpreplay iproute2 python3 time ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  if command -v rustup >/dev/null 2>&1; then
    rustup toolchain install stable --profile minimal -c clippy -c rustfmt
  else
    echo "setup: no Rust toolchain: install one with rustup (https://rustup.rs), Rust >= 1.80" >&2
    exit 1
  fi
fi
pkg-config --exists libdpdk || { echo "setup: libdpdk not found by pkg-config" >&2; exit 1; }
echo "setup: ok (DPDK $(pkg-config --modversion libdpdk), $(cargo --version))"
