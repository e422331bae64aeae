#!/usr/bin/env bash
# Char-LSTM language model training (embedding 64, 2 LSTM layers of 256, sequence 64,
# batch 32), Loom's `loom pretrain --model lstm` against the same model in PyTorch
# (torch.set_num_threads(2)) in the same run. Tokens per second of training.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
STEPS=${RNN_BENCH_STEPS:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -f corpora/kjv/train.txt ]; then head -c 300000 corpora/kjv/train.txt > "$work/corpus.txt"
else "$PY" -c "import random; random.seed(0); print(''.join(random.choice('abcdefghij klmnop,.\n') for _ in range(300000)))" > "$work/corpus.txt"; fi
loom_json=$("$LOOM" pretrain --model lstm --corpus "$work/corpus.txt" --out "$work/lm" --context 64 --layers 2 --dim 256 \
    --embedding-dim 64 --batch-size 32 --steps "$STEPS" --warmup 1 --eval-every 0 --final-eval-batches 1 \
    --sample-every 0 --save-every 0 --json 2>/dev/null | tail -n 1)
vocab=$("$PY" -c "import sys; print(len(set(open(sys.argv[1], encoding='utf-8').read())))" "$work/corpus.txt")
torch_json=""
if "$PY" -c "import torch" 2>/dev/null; then
    torch_json=$("$PY" tools/benchmarks/rnn.py --vocab "$vocab" --steps "$STEPS" --threads 2 2>/dev/null | tail -n 1 || true)
fi
"$PY" - "$loom_json" "$torch_json" <<'PYEOF'
import json, sys
loom = json.loads(sys.argv[1])["tokens_per_s"]
if sys.argv[2]:
    ref = json.loads(sys.argv[2])["tokens_per_s"]
    print(f"char_lstm_train: loom {loom:.0f} tokens/s, reference {ref:.0f} tokens/s, ratio {loom/ref:.2f}")
else:
    print(f"char_lstm_train: loom {loom:.0f} tokens/s (PyTorch not installed: run tools/make-venv)")
PYEOF
