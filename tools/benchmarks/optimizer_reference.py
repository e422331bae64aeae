#!/usr/bin/env python3
"""PyTorch timings for the optimizer benchmark: AdamW, SGD (Nesterov) and clip_grad_norm_
over four 1024x1024 matrices and four 1024-vectors, in millions of parameters per second.

Prints one JSON object per workload on stdout.
    ${LOOM_PYTHON:-python3} tools/benchmarks/optimizer_reference.py --threads 2
"""

import argparse
import json
import statistics
import time

import torch


def seconds_per_call(body, budget=1.0, warmup=2):
    for _ in range(warmup):
        body()
    samples, start = [], time.perf_counter()
    while time.perf_counter() - start < budget or len(samples) < 3:
        t0 = time.perf_counter()
        body()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=float, default=1.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(3)
    parameters = []
    for _ in range(4):
        parameters.append(torch.nn.Parameter(torch.randn(1024, 1024) * 0.02))
        parameters.append(torch.nn.Parameter(torch.zeros(1024)))
    for p in parameters:
        p.grad = torch.randn_like(p) * 1e-3
    millions = sum(p.numel() for p in parameters) / 1e6
    decayed = [p for p in parameters if p.dim() >= 2]
    plain = [p for p in parameters if p.dim() < 2]
    adamw = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.1}, {"params": plain, "weight_decay": 0.0}], lr=1e-4)
    sgd = torch.optim.SGD(parameters, lr=1e-4, momentum=0.9, nesterov=True)
    workloads = {
        "adamw_step": adamw.step,
        "sgd_nesterov_step": sgd.step,
        "clip_grad_norm": lambda: torch.nn.utils.clip_grad_norm_(parameters, float("inf")),
    }
    for name, body in workloads.items():
        seconds = seconds_per_call(body, args.budget)
        print(json.dumps({"name": name, "mparams_per_s": millions / seconds, "threads": args.threads,
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
