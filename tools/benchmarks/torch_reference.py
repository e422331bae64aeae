#!/usr/bin/env python3
"""PyTorch reference timings for the Loom benchmarks: the Fashion-MNIST CNN and matmul.

Prints one JSON object per workload on stdout; progress goes to stderr.

    ${LOOM_PYTHON:-python3} tools/benchmarks/torch_reference.py --threads 2 --what all --eval
"""

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def judge_cnn():
    """The Fashion-MNIST classifier, with PyTorch names so its state_dict matches Loom's."""
    features = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    )
    classifier = nn.Sequential(
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10),
    )
    return nn.Sequential(features, classifier)


def emit(record, threads):
    record["threads"] = threads
    record["torch"] = torch.__version__
    print(json.dumps(record), flush=True)


def bench_cnn_train(args):
    model = judge_cnn()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.randn(args.batch, 1, 28, 28)
    labels = torch.randint(0, 10, (args.batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    elapsed = time.perf_counter() - start
    print(f"cnn_train: {args.steps} steps in {elapsed:.3f} s, last loss {loss.item():.4f}",
          file=sys.stderr)
    return {"name": "cnn_train", "images_per_s": args.batch * args.steps / elapsed,
            "ms_per_step": 1000.0 * elapsed / args.steps, "batch": args.batch,
            "steps": args.steps}


def bench_cnn_eval(args):
    model = judge_cnn()
    model.eval()
    images = torch.randn(args.batch, 1, 28, 28)
    with torch.inference_mode():
        for _ in range(args.warmup):
            model(images)
        start = time.perf_counter()
        for _ in range(args.steps):
            model(images)
        elapsed = time.perf_counter() - start
    print(f"cnn_eval: {args.steps} forwards in {elapsed:.3f} s", file=sys.stderr)
    return {"name": "cnn_eval", "images_per_s": args.batch * args.steps / elapsed,
            "ms_per_batch": 1000.0 * elapsed / args.steps, "batch": args.batch,
            "steps": args.steps}


def bench_matmul(n, min_seconds):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    c = torch.empty(n, n)
    torch.mm(a, b, out=c)
    # Repeat small sizes enough times that one sample is long against timer noise.
    start = time.perf_counter()
    torch.mm(a, b, out=c)
    once = max(time.perf_counter() - start, 1e-6)
    inner = max(1, int(0.05 / once))
    samples = []
    total = 0.0
    while total < min_seconds or len(samples) < 3:
        start = time.perf_counter()
        for _ in range(inner):
            torch.mm(a, b, out=c)
        sample = (time.perf_counter() - start) / inner
        samples.append(sample)
        total += sample * inner
    seconds = statistics.median(samples)
    print(f"matmul_{n}: median {1000 * seconds:.3f} ms over {len(samples)}x{inner}",
          file=sys.stderr)
    return {"name": f"matmul_{n}", "gflops": 2.0 * n ** 3 / seconds / 1e9,
            "ms": 1000.0 * seconds, "n": n}


def parse_sizes(text):
    try:
        sizes = [int(part) for part in text.split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers, got {text!r}")
    if not sizes or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return sizes


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--what", choices=["cnn", "matmul", "all"], default="all")
    parser.add_argument("--eval", action="store_true", help="also time eval-mode CNN forward")
    parser.add_argument("--steps", type=int, default=50, help="timed CNN steps (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed CNN steps (default 5)")
    parser.add_argument("--batch", type=int, default=64, help="CNN batch size (default 64)")
    parser.add_argument("--sizes", type=parse_sizes, default=[256, 512, 1024, 2048],
                        help="matmul sizes, comma-separated (default 256,512,1024,2048)")
    parser.add_argument("--matmul-seconds", type=float, default=1.0,
                        help="minimum timed seconds per matmul size (default 1.0)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads < 1 or args.steps < 1 or args.warmup < 0 or args.batch < 1:
        parser.error("--threads, --steps and --batch must be positive, --warmup non-negative")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.what in ("cnn", "all"):
        emit(bench_cnn_train(args), args.threads)
        if args.eval:
            emit(bench_cnn_eval(args), args.threads)
    if args.what in ("matmul", "all"):
        for n in args.sizes:
            emit(bench_matmul(n, args.matmul_seconds), args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
