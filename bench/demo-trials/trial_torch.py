"""
bench/demo-trials peer: the same in-memory trial as trial.ts, in PyTorch, to tell "our trainer" from "this data".

Reads the faces prep.ts dumped, trains from scratch with class-balanced batches, AdamW, warmup + cosine, and prints
every --every steps the mean train loss, the frame AUC on every third train face and the frame / video AUC on the
val split (--test: the test split, only for a final check). Models: --arch vit (the demo ViT: 112 px, 8 px patches,
192 wide, 4 blocks, 3 heads, mean-pooled tokens + LayerNorm + linear head, as FSFM's finetune model) or --arch cnn
(a small ResNet-style CNN, the kind of model known to pick up local texture quickly). A bench peer, not product code:

  /path/to/venv-with-torch/bin/python bench/demo-trials/trial_torch.py [--data /tmp/demo-trials/c23] [--arch vit|cnn]
      [--steps 600] [--lr 1e-3] [--batch 8] [--wd 0.05] [--flip] [--jitter] [--seed 0]
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--data', default='/tmp/demo-trials/c23')
p.add_argument('--arch', default='vit', choices=['vit', 'cnn'])
p.add_argument('--size', type=int, default=112)
p.add_argument('--steps', type=int, default=600)
p.add_argument('--every', type=int, default=100)
p.add_argument('--lr', type=float, default=1e-3)
p.add_argument('--batch', type=int, default=8)
p.add_argument('--wd', type=float, default=0.05)
p.add_argument('--warmup', type=int, default=20)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--flip', action='store_true')
p.add_argument('--jitter', action='store_true', help='per-image brightness/contrast/colour jitter and random blur')
p.add_argument('--test', action='store_true')
p.add_argument('--ids', type=int, default=0, help='train on the videos of this many training identities only (seeded pick)')
a = p.parse_args()
torch.manual_seed(a.seed)
rng = np.random.default_rng(a.seed)
torch.set_num_threads(2)


def load(split):
    meta = json.load(open(f'{a.data}/{split}.json'))
    s = meta['size']
    raw = np.fromfile(f'{a.data}/{split}.u8', np.uint8).reshape(-1, s, s, 3)
    x = torch.from_numpy(raw).permute(0, 3, 1, 2).float() / 255.0
    if s != a.size:
        x = F.interpolate(x, size=(a.size, a.size), mode='area')
    x = (x - 0.5) / 0.25
    y = np.array([f['label'] for f in meta['faces']])
    vids = [f['video'] for f in meta['faces']]
    return x, y, vids


def target_of(video):
    # FF++ names: real NNN.mp4, fake TTT_SSS.mp4 (TTT the target, whose frame the fake is)
    return video.rsplit('/', 1)[-1].split('.')[0].split('_')[0]


def auc(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels)
    order = np.argsort(scores, kind='mergesort')
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        y = self.n1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.n2(x))


class ViT(nn.Module):
    def __init__(self, size=112, patch=8, d=192, depth=4, heads=3):
        super().__init__()
        self.embed = nn.Conv2d(3, d, patch, patch)
        n = (size // patch) ** 2
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, n + 1, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, 2)
        nn.init.trunc_normal_(self.head.weight, std=2e-5)
        nn.init.zeros_(self.head.bias)

    def forward(self, x):
        t = self.embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(len(t), -1, -1), t], 1) + self.pos
        for b in self.blocks:
            t = b(t)
        return self.head(self.norm(t[:, 1:].mean(1)))


def cnn():
    def stage(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, 2, 1), nn.BatchNorm2d(o), nn.ReLU(), nn.Conv2d(o, o, 3, 1, 1), nn.BatchNorm2d(o), nn.ReLU())
    return nn.Sequential(stage(3, 32), stage(32, 64), stage(64, 128), stage(128, 192), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(192, 2))


xtr, ytr, vtr = load('train')
if a.ids:
    ids = sorted({target_of(v) for v in vtr})
    keep = set(np.random.default_rng(1000 + a.seed).permutation(ids)[:a.ids])
    m = np.array([target_of(v) in keep for v in vtr])
    xtr, ytr = xtr[m], ytr[m]
    print(f'training identities {sorted(keep)}: {m.sum()} faces', flush=True)
xev, yev, vev = load('test' if a.test else 'val')
model = ViT(a.size) if a.arch == 'vit' else cnn()
decay = [q for n, q in model.named_parameters() if q.ndim > 1 and 'pos' not in n and 'cls' not in n]
rest = [q for n, q in model.named_parameters() if not (q.ndim > 1 and 'pos' not in n and 'cls' not in n)]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': a.wd}, {'params': rest, 'weight_decay': 0}], lr=a.lr)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / a.warmup if s < a.warmup else 0.5 * (1 + math.cos(math.pi * (s - a.warmup) / max(1, a.steps - a.warmup))))
real, fake = np.where(ytr == 0)[0], np.where(ytr == 1)[0]


def augment(x):
    if a.flip:
        m = torch.rand(len(x)) < 0.5
        x[m] = x[m].flip(-1)
    if a.jitter:
        g = 1 + 0.4 * (torch.rand(len(x), 1, 1, 1) - 0.5)
        c = 1 + 0.4 * (torch.rand(len(x), 3, 1, 1) - 0.5)
        b = 0.4 * (torch.rand(len(x), 3, 1, 1) - 0.5)
        x = x * g * c + b
    return x


def scores(x):
    model.eval()
    with torch.no_grad():
        out = torch.cat([F.softmax(model(x[i:i + 64]), 1)[:, 1] for i in range(0, len(x), 64)])
    model.train()
    return out.numpy()


t0, losses = time.time(), []
for step in range(1, a.steps + 1):
    idx = np.concatenate([rng.choice(real, a.batch // 2), rng.choice(fake, a.batch // 2)])
    x = augment(xtr[idx].clone())
    loss = F.cross_entropy(model(x), torch.from_numpy(ytr[idx]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    losses.append(loss.item())
    if step % a.every == 0 or step == a.steps:
        tr = scores(xtr[::3])
        ev = scores(xev)
        by = {}
        for v, s, l in zip(vev, ev, yev):
            by.setdefault(v, [l, []])[1].append(s)
        vauc = auc([np.mean(s) for l, s in by.values()], [l for l, s in by.values()])
        print(f'{a.arch} step {step} loss {np.mean(losses):.4f} train AUC {auc(tr, ytr[::3]):.3f} '
              f'{"test" if a.test else "val"} frame {auc(ev, yev):.3f} video {vauc:.3f}  {time.time() - t0:.0f}s', flush=True)
        losses = []
