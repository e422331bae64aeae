#!/usr/bin/env python3
"""Reference timing for tools/benchmarks/textmodels.sh: scikit-learn's TfidfVectorizer
fit_transform on one document per line (file reading excluded), best of N runs.
Prints one JSON object: {"seconds": .., "terms": .., "nonzeros": ..}."""
import json
import sys
import time


def main():
    path, repeats = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(path, encoding="utf-8") as f:
        documents = f.read().split("\n")
    if documents and documents[-1] == "":
        documents.pop()
    from sklearn.feature_extraction.text import TfidfVectorizer

    best = None
    for _ in range(repeats):
        vectorizer = TfidfVectorizer()
        start = time.perf_counter()
        matrix = vectorizer.fit_transform(documents)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(json.dumps({"seconds": best, "terms": len(vectorizer.vocabulary_), "nonzeros": int(matrix.nnz)}))


if __name__ == "__main__":
    main()
