#!/usr/bin/env bash
# Installs everything trunkgate and its test suite need on Debian 12 / Node 20, then builds
# (TypeScript, and the native UDP pump).
# System packages: SIPp (sip-tester), rtpengine, baresip, ffmpeg, espeak-ng, sox, kamailio, chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(sip-tester rtpengine-daemon baresip ffmpeg espeak-ng sox kamailio chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
  # The Debian rtpengine package starts a daemon on its own config; trunkgate starts its own.
  $SUDO systemctl disable --now rtpengine-daemon >/dev/null 2>&1 || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
# The native UDP pump for media sockets (native/udp-pump, Linux; node-gyp with g++ and Node's
# headers). Without it media falls back to Node's dgram (media.udp: auto), about twice the CPU per packet.
PUMP=native/udp-pump/build/Release/udp_pump.node
if [ ! -f "$PUMP" ] || [ native/udp-pump/udp_pump.cc -nt "$PUMP" ] || [ native/udp-pump/binding.gyp -nt "$PUMP" ]; then
  echo "setup: building the native UDP pump"
  npm run build:native --silent >/dev/null || echo "setup: WARNING: the native UDP pump did not build; media uses Node's dgram"
fi
npm run build --silent
echo "setup: done"
