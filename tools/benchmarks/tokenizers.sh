#!/usr/bin/env bash
# Byte-level BPE on the King James Bible, Loom against Hugging Face `tokenizers`, in one run:
#   - training to 8,000 tokens (corpus MB per second of training time),
#   - encoding the whole corpus with the trained tokenizer (MB/s), on 1 thread and on THREADS.
# Both sides use the same thread count (THREADS, default: all cores): Loom through --threads,
# tokenizers through RAYON_NUM_THREADS. Times are the best of REPEATS runs, measured inside each
# program around the work itself (file reading and process start are left out on both sides).
# Also checks that both produce identical merges and identical ids (details on stderr).
# Output lines: "name: loom X unit, reference Y unit, ratio Z", ratio = loom / reference.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
THREADS=${THREADS:-$(nproc)}
REPEATS=${REPEATS:-3}
VOCAB=8000
LOOM=${LOOM_BIN:-$ROOT/.build/release/loom}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$LOOM" ]; then
    (cd "$ROOT" && swift build -c release --product loom >&2)
fi

CORPUS=$WORK/kjv.txt
if [ -f "$ROOT/corpora/kjv.txt" ]; then
    cp "$ROOT/corpora/kjv.txt" "$CORPUS"
elif command -v bible >/dev/null; then
    # One verse a line; drop the "Ge1:1 " references.
    bible -f gen1:1-rev22:21 | sed -E 's/^[0-9]?[A-Za-z]+[0-9]+:[0-9]+ //' > "$CORPUS"
else
    echo "error: no corpora/kjv.txt and no bible-kjv package" >&2
    exit 1
fi
BYTES=$(wc -c < "$CORPUS")

PYTHON=${LOOM_PYTHON:-python3}
if ! "$PYTHON" -c 'import tokenizers' 2>/dev/null && [ -x "$ROOT/tools/.venv/bin/python" ]; then
    PYTHON=$ROOT/tools/.venv/bin/python
fi

json_field() { # json_field FIELD <<< '{"FIELD": value, ...}'
    sed -E 's/.*"'"$1"'": ([^,}]*).*/\1/' | tr -d '"'
}

best_loom() { # best_loom FIELD COMMAND... : the smallest FIELD of REPEATS runs
    local field=$1 best="" value
    shift
    for _ in $(seq "$REPEATS"); do
        value=$("$@" --json 2>/dev/null | tail -n 1 | json_field "$field")
        if [ -z "$best" ] || awk -v a="$value" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$value; fi
    done
    echo "$best"
}

loom_train() {
    "$LOOM" tokenizer train --kind bpe --corpus "$CORPUS" --vocab-size $VOCAB --out "$WORK/loom.json" --force --threads "$THREADS" "$@"
}
loom_encode() { # loom_encode THREADS
    local threads=$1; shift
    "$LOOM" tokenizer encode --tokenizer "$WORK/loom.json" --input "$CORPUS" --out "$WORK/ids.txt" --force --threads "$threads" "$@"
}

LOOM_TRAIN=$(best_loom train_seconds loom_train)
LOOM_ENCODE_1=$(best_loom seconds loom_encode 1)
LOOM_ENCODE_N=$(best_loom seconds loom_encode "$THREADS")

rate() { awk -v bytes="$BYTES" -v seconds="$1" 'BEGIN { printf "%.2f", bytes / 1e6 / seconds }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

if "$PYTHON" -c 'import tokenizers' 2>/dev/null; then
    REFERENCE_N=$(TOKENIZERS_PARALLELISM=true RAYON_NUM_THREADS=$THREADS "$PYTHON" "$ROOT/tools/benchmarks/tokenizers_reference.py" \
        --corpus "$CORPUS" --vocab-size $VOCAB --loom-tokenizer "$WORK/loom.json" --loom-ids "$WORK/ids.txt" --repeats "$REPEATS")
    REFERENCE_1=$(TOKENIZERS_PARALLELISM=true RAYON_NUM_THREADS=1 "$PYTHON" "$ROOT/tools/benchmarks/tokenizers_reference.py" \
        --corpus "$CORPUS" --loom-tokenizer "$WORK/loom.json" --loom-ids "$WORK/ids.txt" --repeats "$REPEATS" --skip-train)
    echo "tokenizers $("$PYTHON" -c 'import tokenizers; print(tokenizers.__version__)'), $THREADS threads: $REFERENCE_N" >&2
    echo "tokenizers 1 thread: $REFERENCE_1" >&2
    REF_TRAIN=$(json_field train_seconds <<< "$REFERENCE_N")
    REF_ENCODE_N=$(json_field encode_seconds <<< "$REFERENCE_N")
    REF_ENCODE_1=$(json_field encode_seconds <<< "$REFERENCE_1")
    echo "parity: identical merges $(json_field same_merges <<< "$REFERENCE_N"), identical vocab $(json_field same_vocab <<< "$REFERENCE_N"), identical ids $(json_field same_ids <<< "$REFERENCE_N") ($(json_field tokens <<< "$REFERENCE_N") tokens)" >&2
else
    echo "tokenizers is not importable with $PYTHON (set LOOM_PYTHON); reporting Loom only" >&2
    REF_TRAIN=""; REF_ENCODE_N=""; REF_ENCODE_1=""
fi

reference_rate() { if [ -z "$1" ]; then echo "n/a"; else rate "$1"; fi; }
echo "loom seconds: train $LOOM_TRAIN, encode 1 thread $LOOM_ENCODE_1, encode $THREADS threads $LOOM_ENCODE_N; corpus $BYTES bytes" >&2
echo "bpe_train_kjv_${VOCAB}_threads${THREADS}: loom $(rate "$LOOM_TRAIN") MB/s, reference $(reference_rate "$REF_TRAIN") MB/s, ratio $(ratio "$REF_TRAIN" "$LOOM_TRAIN")"
echo "bpe_encode_kjv_threads1: loom $(rate "$LOOM_ENCODE_1") MB/s, reference $(reference_rate "$REF_ENCODE_1") MB/s, ratio $(ratio "$REF_ENCODE_1" "$LOOM_ENCODE_1")"
echo "bpe_encode_kjv_threads${THREADS}: loom $(rate "$LOOM_ENCODE_N") MB/s, reference $(reference_rate "$REF_ENCODE_N") MB/s, ratio $(ratio "$REF_ENCODE_N" "$LOOM_ENCODE_N")"
