#!/usr/bin/env bash
# Baby-GPT generation (4 layers, 4 heads, 128 wide, block 256, char vocabulary of 66), random
# weights: a 1-token prompt continued by 255 tokens, so the context fills the 256-token block.
# Loom uses its KV cache; the PyTorch reference is nanoGPT's generate, which has NO KV cache
# (it reruns the whole cropped context for every token, as nanoGPT does). Loom on its 2 threads; PyTorch on 1 and 2, the faster counts.
# Peak memory is the maximum resident set size of each process (/usr/bin/time -v).
set -euo pipefail
cd "$(dirname "$0")/../.."
LOOM=${LOOM:-.build/release/loom}
PY=${LOOM_PYTHON:-python3}
TOKENS=255
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! "$PY" -c "import torch, safetensors" 2>/dev/null; then
    echo "gpt_generate: needs torch and safetensors for the checkpoint and reference (run tools/make-venv)"
    exit 0
fi
"$PY" tools/benchmarks/gpt_generate.py --make-checkpoint "$work/ckpt"
# 65 characters (the tiny-Shakespeare set) plus the unknown token: 66 ids.
printf '%s' $'\n !$&\',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz' > "$work/chars.txt"
"$LOOM" tokenizer train --kind char --corpus "$work/chars.txt" --out "$work/ckpt/tokenizer.json" >/dev/null 2>&1

/usr/bin/time -v -o "$work/loom.time" "$LOOM" generate --checkpoint "$work/ckpt" --prompt "A" \
    --max-tokens $TOKENS --temperature 0.8 --seed 1 --json > "$work/loom.out" 2>/dev/null
# PyTorch on 1 and on 2 threads; the faster run counts (on a busy 2-core machine its two
# threads can spin against each other and lose badly).
for threads in 1 2; do
    /usr/bin/time -v -o "$work/torch$threads.time" "$PY" tools/benchmarks/gpt_generate.py --generate --tokens $TOKENS \
        --threads $threads > "$work/torch$threads.out" 2>/dev/null
done
"$PY" - "$work" <<'PYEOF'
import json, re, sys
work = sys.argv[1]
def peak_mb(path):
    text = open(path).read()
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
loom = json.loads(open(f"{work}/loom.out").read().strip().splitlines()[-1])
runs = [(json.loads(open(f"{work}/torch{t}.out").read().strip().splitlines()[-1]), f"{work}/torch{t}.time") for t in (1, 2)]
torch, torch_time = min(runs, key=lambda run: run[0]["ms_per_token"])
if loom["tokens"] != torch["tokens"]:
    print(f"note: loom generated {loom['tokens']} tokens, reference {torch['tokens']}")
ratio = torch["ms_per_token"] / loom["ms_per_token"]
print(f"gpt_generate_ms_per_token: loom {loom['ms_per_token']:.3f} ms/token, reference {torch['ms_per_token']:.3f} ms/token, "
      f"ratio {ratio:.2f} (reference: nanoGPT generate without KV cache, {torch['threads']} thread(s))")
lm, tm = peak_mb(f"{work}/loom.time"), peak_mb(torch_time)
print(f"gpt_generate_peak_memory: loom {lm:.1f} MB, reference {tm:.1f} MB, ratio {tm / lm:.2f}")
PYEOF
