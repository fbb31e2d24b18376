#!/usr/bin/env bash
# Regenerates the media files the SIPp scenarios use (they are committed; run this only to rebuild).
#   bash sipp-scenarios/media/make-media.sh
# - hello-pcmu.wav: espeak-ng speech, 8 kHz mono G.711 mu-law WAV for <exec rtp_stream=…>
# - silence-pcmu.wav: 1 s of mu-law silence (short load calls with audio)
# - g711a.pcap, dtmf_2833_*.pcap: copied from the Debian sip-tester package (RFC 2833 events)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -w "$tmp/speech.wav" "Hello, this is a trunk gate load test call. One two three four five."
sox "$tmp/speech.wav" -r 8000 -c 1 -e u-law hello-pcmu.wav
sox -n -r 8000 -c 1 -e u-law silence-pcmu.wav trim 0 1
cp /usr/share/sip-tester/g711a.pcap .
for d in 1 2 3 pound; do cp "/usr/share/sip-tester/dtmf_2833_$d.pcap" .; done
