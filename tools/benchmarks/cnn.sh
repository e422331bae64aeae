#!/usr/bin/env bash
# Fashion-MNIST CNN training and inference, Loom against PyTorch in the same run
# (2 threads each: Loom's own, torch.set_num_threads(2)).
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
loom_json=$("$LOOM" bench --only cnn --json 2>/dev/null | tail -n 1)
torch_json=""
if "$PY" -c "import torch" 2>/dev/null; then
    torch_json=$("$PY" tools/benchmarks/torch_reference.py --what cnn --eval --threads 2 2>/dev/null || true)
fi
"$PY" - "$loom_json" "$torch_json" <<'PYEOF'
import json, sys
loom = {r["name"]: r["value"] for r in json.loads(sys.argv[1])["results"]}
ref = {}
for line in sys.argv[2].splitlines():
    line = line.strip()
    if line.startswith("{"):
        o = json.loads(line); ref[o["name"]] = o.get("images_per_s")
for name in ("cnn_train", "cnn_eval"):
    if name not in loom: continue
    if ref.get(name):
        print(f"{name}: loom {loom[name]:.0f} images/s, pytorch {ref[name]:.0f} images/s, ratio {loom[name]/ref[name]:.2f}")
    else:
        print(f"{name}: loom {loom[name]:.0f} images/s (PyTorch not installed: run tools/make-venv)")
PYEOF
