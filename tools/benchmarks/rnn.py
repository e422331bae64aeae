#!/usr/bin/env python3
"""The char-LSTM LM training step of tools/benchmarks/rnn.sh, in PyTorch: embedding 64 →
2-layer LSTM of 256 (batch_first) → linear to the vocabulary, AdamW, gradient clipping at 1,
batch 32 of 64-token windows. Prints {"tokens_per_s": ...}."""
import argparse
import json
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=80)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batch, length = 32, 64

    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(args.vocab, 64)
            self.rnn = torch.nn.LSTM(64, 256, num_layers=2, batch_first=True)
            self.decoder = torch.nn.Linear(256, args.vocab)

        def forward(self, x):
            return self.decoder(self.rnn(self.embedding(x))[0])

    model = CharLSTM()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, args.vocab, (batch, length))
    y = torch.randint(0, args.vocab, (batch, length))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, args.vocab), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"tokens_per_s": args.steps * batch * length / seconds}))


if __name__ == "__main__":
    main()
