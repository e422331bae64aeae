#!/usr/bin/env python3
"""PyTorch reference for tools/benchmarks/diffusion.sh: the same small DDPM U-Net as
Loom's (Sources/LoomModels/Images/Diffusion/UNet.swift), timed on 2 threads.

Prints `train_steps_per_second X` (DDPM loss, Adam, batch 64 on 28x28) and
`sample_ms_per_step X` (one no-grad network call on 64 images).
"""

import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dimension):
    half = dimension // 2
    frequencies = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000) / (half - 1)))
    arguments = t.float()[:, None] * frequencies[None, :]
    return torch.cat([torch.sin(arguments), torch.cos(arguments)], dim=1)


class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, time_dim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(time_dim, c_out)
        self.norm2 = nn.GroupNorm(groups, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x, t):
        h = self.conv1(F.silu(self.norm1(x))) + self.time(t)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class AttentionBlock(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3 * c, h * w).chunk(3, dim=1)
        weights = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(c), dim=-1)
        return x + self.proj((v @ weights.transpose(1, 2)).reshape(b, c, h, w))


class UNet(nn.Module):
    def __init__(self, channels=1, base=32, multipliers=(1, 2, 2), groups=8, attention=True):
        super().__init__()
        time_dim = base * 4
        self.base = base
        self.time_input = nn.Linear(base, time_dim)
        self.time_output = nn.Linear(time_dim, time_dim)
        self.input_conv = nn.Conv2d(channels, base, 3, padding=1)
        widths = [base * m for m in multipliers]
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        c = base
        for level, width in enumerate(widths):
            self.down.append(ResidualBlock(c, width, time_dim, groups))
            c = width
            if level < len(widths) - 1:
                self.downsample.append(nn.Conv2d(width, width, 3, stride=2, padding=1))
        self.middle1 = ResidualBlock(c, c, time_dim, groups)
        self.attention = AttentionBlock(c, groups) if attention else None
        self.middle2 = ResidualBlock(c, c, time_dim, groups)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for level in reversed(range(len(widths))):
            width = widths[level]
            self.up.append(ResidualBlock(c + width, width, time_dim, groups))
            c = width
            if level > 0:
                self.upsample.append(nn.Conv2d(width, width, 3, padding=1))
        self.output_norm = nn.GroupNorm(groups, c)
        self.output_conv = nn.Conv2d(c, channels, 3, padding=1)

    def forward(self, x, t):
        emb = F.silu(self.time_output(F.silu(self.time_input(timestep_embedding(t, self.base)))))
        h = self.input_conv(x)
        skips = []
        for level, block in enumerate(self.down):
            h = block(h, emb)
            skips.append(h)
            if level < len(self.downsample):
                h = self.downsample[level](h)
        h = self.middle1(h, emb)
        if self.attention is not None:
            h = self.attention(h)
        h = self.middle2(h, emb)
        for index, block in enumerate(self.up):
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
            if index < len(self.upsample):
                h = self.upsample[index](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.output_conv(F.silu(self.output_norm(h)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--sample-steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = UNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    alpha_bars = torch.cumprod(1 - betas, 0).float()
    x0 = torch.rand(args.batch, 1, 28, 28) * 2 - 1

    def train_step():
        t = torch.randint(0, 1000, (args.batch,))
        noise = torch.randn_like(x0)
        a = alpha_bars[t][:, None, None, None]
        loss = F.mse_loss(model(a.sqrt() * x0 + (1 - a).sqrt() * noise, t), noise)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(2):
        train_step()
    start = time.perf_counter()
    for _ in range(args.steps):
        train_step()
    print(f"train_steps_per_second {args.steps / (time.perf_counter() - start):.4f}")

    model.eval()
    with torch.no_grad():
        x = torch.randn(args.batch, 1, 28, 28)
        t = torch.full((args.batch,), 500)
        model(x, t)
        start = time.perf_counter()
        for _ in range(args.sample_steps):
            x = x - 0.01 * model(x, t)
        print(f"sample_ms_per_step {1000 * (time.perf_counter() - start) / args.sample_steps:.2f}")
    print(f"parameters {sum(p.numel() for p in model.parameters())}")


if __name__ == "__main__":
    main()
