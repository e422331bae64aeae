#!/usr/bin/env bash
# DDPM U-Net (base 32, multipliers 1,2,2, attention at 7x7) on 28x28 images, Loom against
# the same network in PyTorch in the same run (2 threads each: Loom's own,
# torch.set_num_threads(2)). Training: steps/s at batch 64 (ratio = loom / reference).
# Sampling: milliseconds per network call on 64 images (ratio = reference / loom), so a
# ratio above 1 means Loom is faster in both lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
loom_json=$("$LOOM" bench --only diffusion --json 2>/dev/null | tail -n 1)
torch_out=""
if "$PY" -c "import torch" 2>/dev/null; then
    torch_out=$("$PY" tools/benchmarks/diffusion_reference.py 2>/dev/null || true)
fi
"$PY" - "$loom_json" "$torch_out" <<'PYEOF'
import json, sys
loom = {r["name"]: r["value"] for r in json.loads(sys.argv[1])["results"]}
ref = {}
for line in sys.argv[2].splitlines():
    parts = line.split()
    if len(parts) == 2:
        ref[parts[0]] = float(parts[1])
train, sample = loom.get("diffusion_train"), loom.get("diffusion_sample")
ref_train, ref_sample = ref.get("train_steps_per_second"), ref.get("sample_ms_per_step")
if train is not None:
    if ref_train:
        print(f"diffusion_train: loom {train:.3f} steps/s, reference {ref_train:.3f} steps/s, ratio {train / ref_train:.2f}")
    else:
        print(f"diffusion_train: loom {train:.3f} steps/s (PyTorch not installed: run tools/make-venv)")
if sample is not None:
    if ref_sample:
        print(f"diffusion_sample: loom {sample:.1f} ms/step, reference {ref_sample:.1f} ms/step, ratio {ref_sample / sample:.2f}")
    else:
        print(f"diffusion_sample: loom {sample:.1f} ms/step (PyTorch not installed: run tools/make-venv)")
PYEOF
