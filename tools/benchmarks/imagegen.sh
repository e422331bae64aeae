#!/usr/bin/env bash
# Image generators: training steps per second at batch 64 of the VAE and the DCGAN, Loom
# (`loom images train`, on its 2 threads) against the same architectures in PyTorch, in
# the same run. PyTorch runs on 2 threads (torch.set_num_threads(2)) and on 1, and the
# faster counts: on a busy machine its spinning OpenMP threads can make 2 slower than 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
STEPS=${IMAGEGEN_STEPS:-60}
DATA=corpora/fashion-mnist
[ -e "$DATA/train-images-idx3-ubyte.gz" ] || DATA=/usr/share/datasets/fashion-mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

loom_rate() {
    "$LOOM" images train --model "$1" --data "$DATA" --out "$work/$1" --steps "$STEPS" --batch-size 64 \
        --limit 8192 --save-every 100000 --json 2>/dev/null | tail -n 1
}
vae_json=$(loom_rate vae)
gan_json=$(loom_rate gan)
torch_json=""
if "$PY" -c "import torch" 2>/dev/null; then
    torch_json=$("$PY" tools/benchmarks/imagegen.py --threads 2 --steps "$STEPS" --batch 64 2>/dev/null || true)
    torch_json+=$'\n'$("$PY" tools/benchmarks/imagegen.py --threads 1 --steps "$STEPS" --batch 64 2>/dev/null || true)
fi
"$PY" - "$vae_json" "$gan_json" "$torch_json" <<'PYEOF'
import json, sys
loom = {"vae_train": json.loads(sys.argv[1])["steps_per_second"], "gan_train": json.loads(sys.argv[2])["steps_per_second"]}
ref = {}
for line in sys.argv[3].splitlines():
    line = line.strip()
    if line.startswith("{"):
        o = json.loads(line); ref[o["name"]] = max(ref.get(o["name"], 0), o["steps_per_s"])
for name in ("vae_train", "gan_train"):
    if ref.get(name):
        print(f"{name}: loom {loom[name]:.2f} steps/s, pytorch {ref[name]:.2f} steps/s, ratio {loom[name] / ref[name]:.2f}")
    else:
        print(f"{name}: loom {loom[name]:.2f} steps/s (PyTorch not installed: run tools/make-venv)")
PYEOF
