#!/usr/bin/env python3
"""Hugging Face `tokenizers` side of tools/benchmarks/tokenizers.sh.

Trains the same byte-level BPE as `loom tokenizer train --kind bpe` and times it, times encoding
with Loom's saved tokenizer.json, and checks that merges and ids agree with Loom's. The thread
count is rayon's, set by the caller through RAYON_NUM_THREADS. Prints one JSON object.
"""
import argparse
import json
import os
import re
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def merges_of(tokenizer):
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [m if isinstance(m, str) else " ".join(m) for m in merges]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--loom-tokenizer", required=True)
    parser.add_argument("--loom-ids", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-train", action="store_true")
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as handle:
        text = handle.read()
    # Cut after a newline that a non-space follows: GPT-2's pattern always ends a piece there,
    # so the chunks give the same pre-tokens as the whole text (Loom cuts the same way).
    chunks = re.split(r"(?<=\n)(?=\S)", text)
    result = {"bytes": len(text.encode("utf-8")), "threads": os.environ.get("RAYON_NUM_THREADS", "default")}

    loom = Tokenizer.from_file(args.loom_tokenizer)
    if not args.skip_train:
        best = None
        for _ in range(args.repeats):
            tokenizer = Tokenizer(models.BPE())
            tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
            tokenizer.decoder = decoders.ByteLevel()
            trainer = trainers.BpeTrainer(
                vocab_size=args.vocab_size,
                special_tokens=["<|endoftext|>"],
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                show_progress=False,
            )
            started = time.perf_counter()
            tokenizer.train_from_iterator(chunks, trainer=trainer)
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        result["train_seconds"] = best
        result["same_merges"] = merges_of(tokenizer) == merges_of(loom)
        result["same_vocab"] = tokenizer.get_vocab() == loom.get_vocab()
        result["merges"] = len(merges_of(tokenizer))

    best = None
    for _ in range(args.repeats):
        started = time.perf_counter()
        encodings = loom.encode_batch_fast(chunks)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    result["encode_seconds"] = best
    ids = [token for encoding in encodings for token in encoding.ids]
    with open(args.loom_ids, encoding="ascii") as handle:
        loom_ids = [int(item) for item in handle.read().split()]
    result["same_ids"] = ids == loom_ids
    result["tokens"] = len(ids)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
