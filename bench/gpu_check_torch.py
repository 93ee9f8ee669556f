"""PyTorch peer of bench/gpu-check.ts (a bench, not product code): an eager training step of a ViT with the same
dimensions as an FSFM preset -- patch embedding, encoder (depth x embedDim, numHeads) on the visible 25% of the
patches, pixel decoder (decoderDepth x decoderEmbedDim) on all of them, MSE on the hidden ones, AdamW -- on CUDA when
available, else the CPU. Prints one line: images/s and peak CUDA memory. Usage: python3 gpu_check_torch.py '<json>'."""
import json
import sys
import time

import torch
from torch import nn

spec = json.loads(sys.argv[1])
a, batch, steps = spec["arch"], spec["batch"], max(1, spec["steps"])
dev = "cuda" if torch.cuda.is_available() else "cpu"
grid = a["imageSizePx"] // a["patchSizePx"]
L, P = grid * grid, a["patchSizePx"] ** 2 * 3
visible = L - int(L * 0.75)


def blocks(dim, depth, heads):
    layer = nn.TransformerEncoderLayer(dim, heads, int(dim * a["mlpRatio"]), dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)


class Mae(nn.Module):
    def __init__(self):
        super().__init__()
        D, Dd = a["embedDim"], a["decoderEmbedDim"]
        self.embed = nn.Linear(P, D)
        self.pos = nn.Parameter(torch.zeros(1, L, D))
        self.encoder = blocks(D, a["depth"], a["numHeads"])
        self.to_dec = nn.Linear(D, Dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, Dd))
        self.dec_pos = nn.Parameter(torch.zeros(1, L, Dd))
        self.decoder = blocks(Dd, a["decoderDepth"], a["decoderNumHeads"])
        self.head = nn.Linear(Dd, P)

    def forward(self, patches, keep):
        B = patches.shape[0]
        x = (self.embed(patches) + self.pos).gather(1, keep[..., None].expand(-1, -1, self.pos.shape[-1]))
        x = self.to_dec(self.encoder(x))
        full = self.mask_token.expand(B, L, -1).clone()
        full.scatter_(1, keep[..., None].expand(-1, -1, full.shape[-1]), x)
        pred = self.head(self.decoder(full + self.dec_pos))
        hidden = torch.ones(B, L, device=patches.device).scatter_(1, keep, 0.0)
        return (((pred - patches) ** 2).mean(-1) * hidden).sum() / hidden.sum()


model = Mae().to(dev)
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
patches = torch.randn(batch, L, P, device=dev)
keep = torch.rand(batch, L, device=dev).argsort(1)[:, :visible]


def step():
    opt.zero_grad(set_to_none=True)
    model(patches, keep).backward()
    opt.step()


step()
if dev == "cuda":
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
t0 = time.perf_counter()
for _ in range(steps):
    step()
if dev == "cuda":
    torch.cuda.synchronize()
dt = (time.perf_counter() - t0) / steps
mem = f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MiB peak CUDA memory" if dev == "cuda" else "CPU"
print(f"[gpu-check] pytorch {torch.__version__} eager on {dev}, {spec['preset']} dims, batch {batch}: {dt * 1000:.0f} ms/step, {batch / dt:.1f} images/s, {mem} (encoder+pixel decoder only: no representation decoder, projector or EMA target)")
