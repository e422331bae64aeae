#!/usr/bin/env bash
# Optimizer steps (AdamW, SGD Nesterov) and gradient-norm clipping over 4.2 M parameters,
# Loom against PyTorch in the same run (2 threads each).
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
loom_json=$("$LOOM" bench --only optimizers --json 2>/dev/null | tail -n 1)
torch_json=""
if "$PY" -c "import torch" 2>/dev/null; then
    torch_json=$("$PY" tools/benchmarks/optimizer_reference.py --threads 2 2>/dev/null || true)
fi
"$PY" - "$loom_json" "$torch_json" <<'PYEOF'
import json, sys
loom = {r["name"]: r["value"] for r in json.loads(sys.argv[1])["results"]}
ref = {}
for line in sys.argv[2].splitlines():
    line = line.strip()
    if line.startswith("{"):
        o = json.loads(line); ref[o["name"]] = o["mparams_per_s"]
for name, value in loom.items():
    if ref.get(name):
        print(f"{name}: loom {value:.0f} Mparams/s, pytorch {ref[name]:.0f} Mparams/s, ratio {value/ref[name]:.2f}")
    else:
        print(f"{name}: loom {value:.0f} Mparams/s (PyTorch not installed: run tools/make-venv)")
PYEOF
