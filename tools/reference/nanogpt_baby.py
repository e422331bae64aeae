#!/usr/bin/env python3
"""The nanoGPT CPU "baby GPT" run, self-contained, as the PyTorch reference for `loom pretrain`.

Character-level GPT-2 on a text corpus with the same rules Loom uses: the vocabulary is the
corpus's characters, the last 10% of the token stream is validation, each step draws
`batch` random windows of `context + 1` tokens, AdamW (betas 0.9/0.99, decay 0.1 on tensors
of rank >= 2 only), linear warmup then cosine decay to min-lr, gradient clipping at 1.0,
no biases, dropout 0, weights tied between the token embedding and the output.

Prints nanoGPT-style log lines on stderr and one JSON object on stdout:
{"val_loss":..,"train_loss":..,"tokens_per_s":..,"steps":..,"peak_rss_mb":..}
"""
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
from torch.nn import functional as F


class Attention(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.c_attn = nn.Linear(width, 3 * width, bias=bias)
        self.c_proj = nn.Linear(width, width, bias=bias)
        self.heads = heads

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        shape = (b, t, self.heads, c // self.heads)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, bias=bias)
        self.attn = Attention(width, heads, bias)
        self.ln_2 = nn.LayerNorm(width, bias=bias)
        self.c_fc = nn.Linear(width, 4 * width, bias=bias)
        self.c_proj = nn.Linear(4 * width, width, bias=bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, context, layers, heads, width, bias):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList([Block(width, heads, bias) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width, bias=bias)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * layers))
            elif p.dim() >= 2:
                nn.init.normal_(p, std=0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="corpora/kjv.txt")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--decay-steps", type=int, default=None, help="cosine length (default: --steps)")
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--min-lr", type=float, default=1e-4)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--grad-clip", type=float, default=1.0)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--eval-batches", type=int, default=20)
    parser.add_argument("--final-eval-batches", type=int, default=200)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    with open(args.corpus, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    n = len(data) - int(len(data) * 0.1)
    train, val = data[:n], data[n:]

    def batch(split, generator=None):
        source = train if split == "train" else val
        starts = torch.randint(len(source) - args.context, (args.batch_size,), generator=generator)
        x = torch.stack([source[i:i + args.context] for i in starts])
        y = torch.stack([source[i + 1:i + 1 + args.context] for i in starts])
        return x, y

    model = GPT(len(chars), args.context, args.layers, args.heads, args.dim, bias=False)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.99))
    decay_steps = args.decay_steps or args.steps
    warmup = args.warmup if args.warmup < decay_steps else decay_steps // 10

    def learning_rate(it):
        if it < warmup:
            return args.lr * (it + 1) / (warmup + 1)
        if it > decay_steps:
            return args.min_lr
        ratio = (it - warmup) / (decay_steps - warmup)
        return args.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (args.lr - args.min_lr)

    @torch.no_grad()
    def estimate(batches):
        model.eval()
        out = {}
        for split in ("train", "val"):
            generator = torch.Generator().manual_seed(args.seed + 1)
            out[split] = sum(model(*batch(split, generator)).item() for _ in range(batches)) / batches
        model.train()
        return out

    print(f"{sum(p.numel() for p in model.parameters())} parameters, vocabulary {len(chars)}, "
          f"{len(train)} train / {len(val)} val tokens", file=sys.stderr)
    training_seconds = 0.0
    for it in range(args.steps):
        if args.eval_every > 0 and it % args.eval_every == 0:
            losses = estimate(args.eval_batches)
            print(f"step {it}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}", file=sys.stderr)
        began = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(it)
        loss = model(*batch("train"))
        loss.backward()
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - began
        training_seconds += seconds
        if args.log_every > 0 and (it + 1) % args.log_every == 0:
            print(f"iter {it + 1}: loss {loss.item():.4f}, time {seconds * 1000:.2f}ms", file=sys.stderr)
    losses = estimate(args.final_eval_batches)
    print(f"step {args.steps}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}", file=sys.stderr)
    tokens_per_s = args.steps * args.batch_size * args.context / max(training_seconds, 1e-9)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"val_loss": losses["val"], "train_loss": losses["train"], "tokens_per_s": tokens_per_s,
                      "steps": args.steps, "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
