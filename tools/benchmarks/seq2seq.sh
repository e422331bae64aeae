#!/usr/bin/env bash
# G2P seq2seq training speed (bidirectional LSTM encoder 256, LSTM decoder with additive
# attention and input feeding, batch 64) on corpora/cmudict: Loom against the same model in
# PyTorch (torch.set_num_threads(2)) in the same run. Steps/s excludes start-up and the first step.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
STEPS=${SEQ2SEQ_BENCH_STEPS:-60}
train=corpora/cmudict/train.tsv
[ -f "$train" ] || "$LOOM" corpora >/dev/null 2>&1
scratch="$(mktemp -d /tmp/loom-bench-seq2seq.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
loom_json=$("$LOOM" seq2seq train --train "$train" --out "$scratch/g2p" --bidirectional --attention bahdanau \
    --dim 256 --embedding-dim 128 --batch-size 64 --dropout 0.1 --steps "$STEPS" --eval-every 100000 --json 2>/dev/null | tail -n 1)
torch_json=""
if "$PY" -c "import torch" 2>/dev/null; then
    torch_json=$("$PY" tools/benchmarks/seq2seq_reference.py --train "$train" --steps "$STEPS" --threads 2 2>/dev/null | tail -n 1 || true)
fi
"$PY" - "$loom_json" "$torch_json" <<'PYEOF'
import json, sys
loom = json.loads(sys.argv[1])["steps_per_second"]
ref = json.loads(sys.argv[2])["steps_per_s"] if sys.argv[2].strip() else None
if ref:
    print(f"seq2seq_g2p_train: loom {loom:.2f} steps/s, reference {ref:.2f} steps/s, ratio {loom / ref:.2f}")
else:
    print(f"seq2seq_g2p_train: loom {loom:.2f} steps/s (PyTorch not installed: run tools/make-venv)")
PYEOF
