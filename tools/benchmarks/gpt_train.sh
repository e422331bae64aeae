#!/usr/bin/env bash
# Baby-GPT pretraining throughput, Loom against the PyTorch reference (tools/reference/
# nanogpt_baby.py) in the same run: char-level on corpora/kjv.txt, 4 layers, 4 heads, 128
# wide, context 64, batch 12, both on 2 threads. Prints tokens/s and peak memory of both.
#
# The machine is shared, so one run of each can land in a quiet and a busy moment. The
# two alternate for GPT_TRAIN_ROUNDS rounds (default 3); the ratio printed is the median of
# the rounds' ratios, and the tokens/s the medians of each side.
# GPT_TRAIN_STEPS (default 200) sets the run length; GPT_TRAIN_STEPS=2000 gives the full
# nanoGPT run, whose final validation losses are then printed too.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
CORPUS=${GPT_TRAIN_CORPUS:-corpora/kjv.txt}
STEPS=${GPT_TRAIN_STEPS:-200}
ROUNDS=${GPT_TRAIN_ROUNDS:-3}
if [ ! -f "$CORPUS" ]; then echo "gpt_train: $CORPUS missing (run: loom corpora)"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$STEPS" -ge 1000 ]; then evals=(--eval-every 250); else evals=(--eval-every 0); fi
has_torch=0
if "$PY" -c "import torch" 2>/dev/null; then has_torch=1; fi
for round in $(seq "$ROUNDS"); do
    "$LOOM" pretrain --model gpt --corpus "$CORPUS" --out "$work/loom$round" --steps "$STEPS" \
        "${evals[@]}" --final-eval-batches 200 --sample-every 0 --save-every 0 --log-every 50 --json \
        2>"$work/loom.log" | tail -n 1 >"$work/loom$round.json"
    rm -rf "$work/loom$round"
    if [ "$has_torch" = 1 ]; then
        "$PY" tools/reference/nanogpt_baby.py --corpus "$CORPUS" --steps "$STEPS" "${evals[@]}" \
            --final-eval-batches 200 --log-every 50 --threads 2 2>"$work/torch.log" | tail -n 1 >"$work/torch$round.json" || true
    fi
done
"$PY" - "$work" "$ROUNDS" "$STEPS" <<'PYEOF'
import json, os, statistics, sys
work, rounds, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def runs(side):
    found = []
    for r in range(1, rounds + 1):
        path = os.path.join(work, f"{side}{r}.json")
        text = open(path).read().strip() if os.path.exists(path) else ""
        found.append(json.loads(text) if text.startswith("{") else None)
    return found
loom, ref = runs("loom"), runs("torch")
rate = statistics.median(r["tokens_per_s"] for r in loom)
if all(ref):
    ratios = [a["tokens_per_s"] / b["tokens_per_s"] for a, b in zip(loom, ref)]
    print(f"gpt_train_tokens: loom {rate:.0f} tokens/s, reference {statistics.median(r['tokens_per_s'] for r in ref):.0f} tokens/s, "
          f"ratio {statistics.median(ratios):.2f} (median of {rounds} alternating rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
    loom_peak, ref_peak = max(r["peak_rss_mb"] for r in loom), max(r["peak_rss_mb"] for r in ref)
    print(f"gpt_train_peak_memory: loom {loom_peak:.0f} MiB, reference {ref_peak:.0f} MiB, ratio {loom_peak / ref_peak:.2f}")
    print(f"gpt_train_val_loss_{steps}_steps: loom {loom[0]['val_loss']:.4f}, reference {ref[0]['val_loss']:.4f}, "
          f"difference {loom[0]['val_loss'] - ref[0]['val_loss']:+.4f}")
else:
    print(f"gpt_train_tokens: loom {rate:.0f} tokens/s (PyTorch not installed: run tools/make-venv)")
PYEOF
