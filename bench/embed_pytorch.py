"""The official DINO ViT (`vision_transformer.py`: same module names, so state dicts load with
`load_state_dict(strict=True)`; pre-norm blocks, LayerNorm eps 1e-6, qkv bias, GELU) in PyTorch.

    embed_pytorch.py [THREADS [BATCHES]]     the anchor of `npm run bench:embed`: ViT-S/16 forward
                                             at 224 px, random weights, batch 16, one JSON line
    embed_pytorch.py check WEIGHTS INPUT N H W
                                             loads an exported backbone (safetensors, strict),
                                             runs N images (raw float32 NCHW in INPUT), prints
                                             the CLS embeddings as JSON (tests use it)
"""
import json
import sys
import time

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self, patch=16, dim=384, depth=12, heads=6, img=224, mlp_ratio=4.0):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]


def read_safetensors(path):
    """safetensors by hand (this torch predates the library): header JSON, then little-endian F32."""
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", name
        start, end = entry["data_offsets"]
        data = np.frombuffer(raw[8 + length + start:8 + length + end], dtype="<f4")
        tensors[name] = torch.from_numpy(data.copy()).reshape(entry["shape"])
    return tensors, metadata


def check(weights, inputs, count, height, width):
    import numpy as np
    state, meta = read_safetensors(weights)
    model = VisionTransformer(
        patch=int(meta["patch_size"]), dim=int(meta["embed_dim"]), depth=int(meta["depth"]),
        heads=int(meta["num_heads"]), img=int(meta["img_size"]), mlp_ratio=float(meta["mlp_ratio"]),
    ).eval()
    model.load_state_dict(state, strict=True)
    x = torch.from_numpy(np.fromfile(inputs, dtype="<f4").reshape(count, 3, height, width))
    with torch.inference_mode():
        print(json.dumps({"cls": model(x).flatten().tolist()}))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7]))
        return
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    batch = 16
    torch.set_num_threads(threads)
    model = VisionTransformer().eval()
    x = torch.randn(batch, 3, 224, 224)
    with torch.inference_mode():
        model(x)  # warm-up
        start = time.perf_counter()
        for _ in range(batches):
            model(x)
        seconds = time.perf_counter() - start
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "images": batches * batch,
        "seconds": seconds,
        "images_per_second": batches * batch / seconds,
    }))


if __name__ == "__main__":
    main()
