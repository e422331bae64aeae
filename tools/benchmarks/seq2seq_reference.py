"""PyTorch twin of Loom's G2P seq2seq model, for tools/benchmarks/seq2seq.sh.

Same architecture and sizes as `loom seq2seq train --bidirectional --attention bahdanau`:
character embedding -> bidirectional LSTM encoder -> tanh bridge to the decoder's first
state -> LSTM cell decoder with input feeding and additive attention -> tanh combine ->
output layer; Adam, gradient clipping at 1.0, batches of similar length. Prints one JSON
line with the training steps per second (the first step is excluded).
"""
import argparse, json, random, time
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--train", required=True)
p.add_argument("--steps", type=int, default=40)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--dim", type=int, default=256)
p.add_argument("--embedding-dim", type=int, default=128)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
random.seed(1)

pairs = [l.rstrip("\n").split("\t") for l in open(a.train, encoding="utf-8") if "\t" in l]
specials = ["<pad>", "<s>", "</s>", "<unk>"]
src_vocab = {t: i for i, t in enumerate(specials + sorted({c for s, _ in pairs for c in s}))}
tgt_vocab = {t: i for i, t in enumerate(specials + sorted({p for _, t in pairs for p in t.split()}))}
data = [([src_vocab[c] for c in s], [tgt_vocab[p] for p in t.split()]) for s, t in pairs]


class Model(nn.Module):
    def __init__(s, sv, tv, e, h):
        super().__init__()
        s.src = nn.Embedding(sv, e)
        s.enc = nn.LSTM(e, h, batch_first=True, bidirectional=True)
        s.bridge = nn.Linear(2 * h, h)
        s.tgt = nn.Embedding(tv, e)
        s.cell = nn.LSTMCell(e + h, h)
        s.key = nn.Linear(2 * h, h, bias=False)
        s.query = nn.Linear(h, h)
        s.v = nn.Linear(h, 1, bias=False)
        s.combine = nn.Linear(3 * h, h, bias=False)
        s.out = nn.Linear(h, tv)
        s.drop = nn.Dropout(0.1)
        s.h = h

    def forward(s, src, lengths, dec_in, dec_out):
        x = s.drop(s.src(src))
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (hn, _) = s.enc(packed)
        keys, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        h = torch.tanh(s.bridge(torch.cat([hn[0], hn[1]], 1)))
        c = torch.zeros_like(h)
        feed = torch.zeros_like(h)
        pk = s.key(keys)
        mask = (torch.arange(src.shape[1])[None, :] >= lengths[:, None]).float() * -1e9
        outs = []
        for t in range(dec_in.shape[1]):
            inp = torch.cat([s.drop(s.tgt(dec_in[:, t])), feed], 1)
            h, c = s.cell(inp, (h, c))
            scores = s.v(torch.tanh(pk + s.query(h)[:, None, :])).squeeze(2) + mask
            w = F.softmax(scores, 1)
            ctx = torch.bmm(w[:, None, :], keys).squeeze(1)
            feed = torch.tanh(s.combine(torch.cat([ctx, h], 1)))
            outs.append(feed)
        logits = s.out(s.drop(torch.stack(outs, 1)))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), dec_out.reshape(-1), ignore_index=0)


def batches():
    order = list(range(len(data)))
    random.shuffle(order)
    pool = a.batch_size * 50
    out = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i:i + pool], key=lambda j: (len(data[j][0]), len(data[j][1])))
        out += [chunk[k:k + a.batch_size] for k in range(0, len(chunk), a.batch_size)]
    random.shuffle(out)
    return out


def tensors(idx):
    ex = [data[i] for i in idx]
    S = max(len(s) for s, _ in ex); T = max(len(t) for _, t in ex) + 1
    src = torch.tensor([s + [0] * (S - len(s)) for s, _ in ex])
    lengths = torch.tensor([len(s) for s, _ in ex])
    di = torch.tensor([[1] + t + [0] * (T - 1 - len(t)) for _, t in ex])
    do = torch.tensor([t + [2] + [0] * (T - 1 - len(t)) for _, t in ex])
    return src, lengths, di, do


model = Model(len(src_vocab), len(tgt_vocab), a.embedding_dim, a.dim)
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
plan = batches()
start = None
for step in range(a.steps):
    if step == 1:
        start = time.perf_counter()
    loss = model(*tensors(plan[step % len(plan)]))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
elapsed = time.perf_counter() - start
print(json.dumps({"name": "seq2seq_g2p_train", "steps_per_s": (a.steps - 1) / elapsed, "loss": loss.item()}))
