#!/usr/bin/env bash
# Baby-GPT pretraining throughput, Loom against the PyTorch reference (tools/reference/
# nanogpt_baby.py) in the same run: char-level on corpora/kjv.txt, 4 layers, 4 heads, 128
# wide, context 64, batch 12, both on 2 threads. Prints tokens/s and peak memory of both.
# GPT_TRAIN_STEPS (default 200) sets the run length; GPT_TRAIN_STEPS=2000 gives the full
# nanoGPT run, whose final validation losses are then printed too.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
CORPUS=${GPT_TRAIN_CORPUS:-corpora/kjv.txt}
STEPS=${GPT_TRAIN_STEPS:-200}
if [ ! -f "$CORPUS" ]; then echo "gpt_train: $CORPUS missing (run: loom corpora)"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$STEPS" -ge 1000 ]; then evals=(--eval-every 250); else evals=(--eval-every 0); fi
loom_json=$("$LOOM" pretrain --model gpt --corpus "$CORPUS" --out "$work/loom" --steps "$STEPS" \
    "${evals[@]}" --final-eval-batches 200 --sample-every 0 --save-every 0 --log-every 50 --json 2>"$work/loom.log" | tail -n 1)
torch_json=""
if "$PY" -c "import torch" 2>/dev/null; then
    torch_json=$("$PY" tools/reference/nanogpt_baby.py --corpus "$CORPUS" --steps "$STEPS" "${evals[@]}" \
        --final-eval-batches 200 --log-every 50 --threads 2 2>"$work/torch.log" | tail -n 1 || true)
fi
"$PY" - "$loom_json" "$torch_json" "$STEPS" <<'PYEOF'
import json, sys
loom = json.loads(sys.argv[1])
steps = sys.argv[3]
ref = json.loads(sys.argv[2]) if sys.argv[2].strip().startswith("{") else None
if ref:
    print(f"gpt_train_tokens: loom {loom['tokens_per_s']:.0f} tokens/s, reference {ref['tokens_per_s']:.0f} tokens/s, "
          f"ratio {loom['tokens_per_s'] / ref['tokens_per_s']:.2f}")
    print(f"gpt_train_peak_memory: loom {loom['peak_rss_mb']:.0f} MiB, reference {ref['peak_rss_mb']:.0f} MiB, "
          f"ratio {loom['peak_rss_mb'] / ref['peak_rss_mb']:.2f}")
    print(f"gpt_train_val_loss_{steps}_steps: loom {loom['val_loss']:.4f}, reference {ref['val_loss']:.4f}, "
          f"difference {loom['val_loss'] - ref['val_loss']:+.4f}")
else:
    print(f"gpt_train_tokens: loom {loom['tokens_per_s']:.0f} tokens/s (PyTorch not installed: run tools/make-venv)")
PYEOF
