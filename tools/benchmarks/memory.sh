#!/usr/bin/env bash
# Resident memory of a long baby-GPT pretraining run (char-level corpora/kjv.txt, 4 layers,
# 4 heads, 128 wide, context 64, batch 12; evaluations and checkpoints on their default
# schedule). The run's /proc/<pid>/status is read whenever its log reaches another
# MEMORY_EVERY steps: after warm-up the resident size must stay flat. Prints the resident
# and peak sizes at step 100 and at the end, and the largest growth between the two.
# MEMORY_STEPS (default 2000; 20000 for the long check) sets the run length. Writes the samples to
# $MEMORY_SAMPLES (default: a temporary file) as "step rss_kib hwm_kib" lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
CORPUS=${MEMORY_CORPUS:-corpora/kjv.txt}
STEPS=${MEMORY_STEPS:-2000}
EVERY=${MEMORY_EVERY:-100}
if [ ! -f "$CORPUS" ]; then echo "memory: $CORPUS missing (run: loom corpora)"; exit 0; fi
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
samples=${MEMORY_SAMPLES:-$work/samples}
: > "$samples"

"$LOOM" pretrain --model gpt --corpus "$CORPUS" --out "$work/run" --steps "$STEPS" \
    --log-every "$EVERY" --sample-every 0 --json > "$work/out" 2> "$work/log" &
pid=$!

status() { awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {print r, h}' "/proc/$pid/status" 2>/dev/null || true; }
seen=0
while kill -0 "$pid" 2>/dev/null; do
    # The newest "iter N:" line; sample once per new one.
    step=$(tr '\r' '\n' < "$work/log" | sed -n 's/^iter \([0-9]*\):.*/\1/p' | tail -n 1)
    if [ -n "$step" ] && [ "$step" -gt "$seen" ]; then
        seen=$step
        read -r rss hwm <<< "$(status)"
        [ -n "${rss:-}" ] && echo "$step $rss $hwm" >> "$samples"
    fi
    sleep 0.2
done
wait "$pid" || { echo "memory: the run failed:"; tail -n 5 "$work/log"; exit 1; }
peak=$(tail -n 1 "$work/out" | sed -n 's/.*"peak_rss_mb" *: *\([0-9.]*\).*/\1/p')

awk -v peak="$peak" -v steps="$STEPS" '
    { step[NR] = $1; rss[NR] = $2 / 1024; hwm[NR] = $3 / 1024 }
    END {
        if (NR == 0) { print "memory: no samples"; exit 1 }
        first = 1; for (i = 1; i <= NR; i++) if (step[i] >= 100) { first = i; break }
        most = rss[first]; for (i = first; i <= NR; i++) if (rss[i] > most) most = rss[i]
        printf "memory_rss_after_warmup: loom %.1f MiB at step %d, reference %.1f MiB at step %d, ratio %.3f\n",
            rss[NR], step[NR], rss[first], step[first], rss[NR] / rss[first]
        printf "memory_peak_rss: loom %.1f MiB at the end (step %d), reference %.1f MiB at step %d, ratio %.3f\n",
            peak, steps, hwm[first], step[first], peak / hwm[first]
        printf "memory_largest_rss_after_warmup: loom %.1f MiB, reference %.1f MiB at step %d, ratio %.3f\n",
            most, rss[first], step[first], most / rss[first]
    }' "$samples"
