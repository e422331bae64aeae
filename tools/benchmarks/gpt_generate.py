#!/usr/bin/env python3
"""Baby-GPT generation benchmark helpers (see gpt_generate.sh).

--make-checkpoint DIR   writes a Loom GPT checkpoint with random weights (config.json of kind
                        "gpt", model.safetensors); the shell script adds a char tokenizer.
--generate              PyTorch reference: nanoGPT's own generate, which has no KV cache and runs
                        the whole (cropped) context through the model for every new token.
                        Prints one JSON line with ms_per_token.
"""

import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = dict(vocab_size=66, block_size=256, n_layer=4, n_head=4, n_embd=128)


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.attn_proj = nn.Linear(n_embd, n_embd)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.mlp_proj = nn.Linear(4 * n_embd, n_embd)
        self.n_head = n_head

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        # nanoGPT's fast path: PyTorch's fused scaled-dot-product attention.
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x)
        return self.ln_f(x)[:, [-1], :] @ self.wte.weight.t()

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        # nanoGPT's generate: crop to the block size, run everything, sample the last position.
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
            logits = self(idx_cond)[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            idx_next = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


def make_checkpoint(directory):
    from safetensors.torch import save_file
    torch.manual_seed(0)
    n_embd, n_layer = CONFIG["n_embd"], CONFIG["n_layer"]
    tensors = {
        "transformer.wte.weight": torch.randn(CONFIG["vocab_size"], n_embd) * 0.02,
        "transformer.wpe.weight": torch.randn(CONFIG["block_size"], n_embd) * 0.02,
        "transformer.ln_f.weight": torch.ones(n_embd), "transformer.ln_f.bias": torch.zeros(n_embd),
    }
    for i in range(n_layer):
        p = f"transformer.h.{i}."
        for name, shape in (("attn.c_attn", (3 * n_embd, n_embd)), ("attn.c_proj", (n_embd, n_embd)),
                            ("mlp.c_fc", (4 * n_embd, n_embd)), ("mlp.c_proj", (n_embd, 4 * n_embd))):
            tensors[p + name + ".weight"] = torch.randn(*shape) * 0.02
            tensors[p + name + ".bias"] = torch.zeros(shape[0])
        for ln in ("ln_1", "ln_2"):
            tensors[p + ln + ".weight"] = torch.ones(n_embd)
            tensors[p + ln + ".bias"] = torch.zeros(n_embd)
    os.makedirs(directory, exist_ok=True)
    save_file(tensors, os.path.join(directory, "model.safetensors"), metadata={"format": "pt", "kind": "gpt"})
    config = dict(CONFIG, kind="gpt", loom_version="0.1.0", dropout=0.0, bias=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def generate(tokens, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = GPT(**CONFIG).eval()
    idx = torch.zeros((1, 1), dtype=torch.long)
    model.generate(idx, 8)  # warm-up
    start = time.perf_counter()
    out = model.generate(idx, tokens, temperature=0.8)
    seconds = time.perf_counter() - start
    assert out.size(1) == tokens + 1
    print(json.dumps({"ms_per_token": seconds * 1000 / tokens, "tokens": tokens, "threads": threads,
                      "torch": torch.__version__}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--make-checkpoint")
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--tokens", type=int, default=255)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.make_checkpoint:
        make_checkpoint(args.make_checkpoint)
    if args.generate:
        generate(args.tokens, args.threads)


if __name__ == "__main__":
    main()
