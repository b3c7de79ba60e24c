"""The official DINO ViT (`reference_vit.py`) at inference, in PyTorch.

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

from reference_vit import VisionTransformer


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
        heads=int(meta["num_heads"]), img_size=int(meta["img_size"]), mlp_ratio=float(meta["mlp_ratio"]),
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
