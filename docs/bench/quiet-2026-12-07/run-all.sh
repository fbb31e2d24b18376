#!/usr/bin/env bash
# Quiet-machine benchmark runs, one after another (session 6).
cd /work/main
B="node --max-semi-space-size=4 --import tsx bench/run.ts"
run() { local name=$1; shift; echo "=== $name $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/bench/progress.log; env "$@" > /tmp/bench/$name.log 2>&1; echo "--- $name done rc=$? $(date -u +%H:%M:%S)" >> /tmp/bench/progress.log; }
run cluster TG_CLUSTER_CALLS=2000 TG_CLUSTER_STEPS=20,40,60 $B cluster/dispatcher
run srtp-echo TG_BENCH_SRTP_STEPS=200,400,500 TG_BENCH_SRTP_SECONDS=10 $B media/srtp-echo
run anchor $B media/anchor
run rt-latency TG_RT_PARTS=latency TG_RT_LAT_CALLS=4 TG_RT_LAT_TURNS=25 $B agents/openai
run xfer TG_BENCH_XFER_PARTS=media,latency TG_BENCH_XFER_LEVELS=250,350 TG_BENCH_XFER_LATENCY_ROUNDS=2 $B gateway/transfer
run first-frame TG_BENCH_FIRST_FRAME_TURNS=200 $B media/first-frame
run rt-capacity TG_RT_PARTS=capacity $B agents/openai
run ramp-media npx tsx scripts/ramp.ts --what media --peers gateway --levels 500,750,1000 --out /tmp/bench/ramp
echo "ALL DONE $(date -u +%H:%M:%S)" >> /tmp/bench/progress.log
