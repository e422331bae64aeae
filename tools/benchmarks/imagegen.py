"""PyTorch reference for the image-generator benchmark: training steps per second of the
same VAE and DCGAN architectures Loom trains, at batch 64 on 2 threads. Prints one JSON
object per model: {"name": ..., "steps_per_s": ...}."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, latent=16, hidden=256):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 4, 2, 1)
        self.conv2 = nn.Conv2d(32, 64, 4, 2, 1)
        self.enc_hidden = nn.Linear(64 * 7 * 7, hidden)
        self.mean = nn.Linear(hidden, latent)
        self.log_variance = nn.Linear(hidden, latent)
        self.dec_hidden = nn.Linear(latent, hidden)
        self.expand = nn.Linear(hidden, 64 * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(64, 32, 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(32, 1, 4, 2, 1)

    def loss(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        h = F.relu(self.enc_hidden(h.flatten(1)))
        mean, log_variance = self.mean(h), self.log_variance(h)
        z = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        g = F.relu(self.expand(F.relu(self.dec_hidden(z)))).view(-1, 64, 7, 7)
        logits = self.deconv2(F.relu(self.deconv1(g)))
        recon = F.binary_cross_entropy_with_logits(logits, (x + 1) / 2, reduction="sum") / x.shape[0]
        kl = 0.5 * (mean.pow(2) + log_variance.exp() - log_variance - 1).sum() / x.shape[0]
        return recon + kl


class Generator(nn.Module):
    def __init__(self, latent=64, base=64):
        super().__init__()
        self.base = base
        self.project = nn.Linear(latent, base * 49, bias=False)
        self.project_norm = nn.BatchNorm1d(base * 49)
        self.deconv1 = nn.ConvTranspose2d(base, base // 2, 4, 2, 1, bias=False)
        self.norm1 = nn.BatchNorm2d(base // 2)
        self.deconv2 = nn.ConvTranspose2d(base // 2, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.project_norm(self.project(z))).view(-1, self.base, 7, 7)
        return torch.tanh(self.deconv2(F.relu(self.norm1(self.deconv1(h)))))


class Discriminator(nn.Module):
    def __init__(self, base=32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, base, 4, 2, 1)
        self.conv2 = nn.Conv2d(base, base * 2, 4, 2, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(base * 2)
        self.classify = nn.Linear(base * 2 * 49, 1)

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.norm2(self.conv2(h)), 0.2)
        return self.classify(h.flatten(1))


def time_steps(step, warmup, steps):
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = torch.rand(args.batch * 8, 1, 28, 28) * 2 - 1
    counter = [0]

    def batch():
        counter[0] = (counter[0] + 1) % 8
        return data[counter[0] * args.batch:(counter[0] + 1) * args.batch]

    vae = VAE()
    vae_optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)

    def vae_step():
        loss = vae.loss(batch())
        vae_optimizer.zero_grad()
        loss.backward()
        vae_optimizer.step()

    print(json.dumps({"name": "vae_train", "steps_per_s": time_steps(vae_step, 5, args.steps)}), flush=True)

    generator, discriminator = Generator(), Discriminator()
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones = torch.ones(args.batch, 1)
    zeros = torch.zeros(args.batch, 1)

    def gan_step():
        real = batch()
        fake = generator(torch.randn(args.batch, 64))
        d_loss = F.binary_cross_entropy_with_logits(discriminator(real), ones) + \
            F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros)
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()

    print(json.dumps({"name": "gan_train", "steps_per_s": time_steps(gan_step, 5, args.steps)}), flush=True)


if __name__ == "__main__":
    main()
