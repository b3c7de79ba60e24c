"""The PyTorch anchor of `npm run bench:train`: the same full DINO step in PyTorch, eager, on the
CPU or (`"device": "cuda"`) on an NVIDIA GPU.

The model, head, loss and update follow facebookresearch/dino (vision_transformer.py,
main_dino.py, utils.py) closely enough to cost the same: ViT with pre-norm blocks, DINOHead with
a weight-normed last layer, DINOLoss, AdamW with the no-decay group, per-parameter clipping,
teacher EMA. Run by bench/train.ts with 2 threads and OPENBLAS_NUM_THREADS=1 (ENGINE-NOTES:
OpenBLAS's own threads fight PyTorch's). Prints one JSON line per configuration.

Usage: python3 train_pytorch.py '{"batch": 32, "globalSize": 96, "localSize": 48, "localCrops": 4,
        "outDim": 4096, "steps": 3, "threads": 2}'
"""

import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from reference_vit import DINOHead, VisionTransformer


class MultiCropWrapper(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        sizes = torch.tensor([inp.shape[-1] for inp in x])
        idx_crops = torch.cumsum(torch.unique_consecutive(sizes, return_counts=True)[1], 0)
        start, outputs = 0, []
        for end in idx_crops:
            outputs.append(self.backbone(torch.cat(x[start:end])))
            start = end
        return self.head(torch.cat(outputs))


def dino_loss(student, teacher, center, ncrops, teacher_temp=0.04, student_temp=0.1):
    s = (student / student_temp).chunk(ncrops)
    t = F.softmax((teacher - center) / teacher_temp, dim=-1).detach().chunk(2)
    total, n = 0, 0
    for iq, q in enumerate(t):
        for v in range(len(s)):
            if v == iq:
                continue
            total += torch.sum(-q * F.log_softmax(s[v], dim=-1), dim=-1).mean()
            n += 1
    return total / n


def run(cfg):
    torch.manual_seed(0)
    torch.set_num_threads(cfg.get("threads", 2))
    dim, heads, device = cfg.get("dim", 192), cfg.get("heads", 3), cfg.get("device", "cpu")
    student = MultiCropWrapper(VisionTransformer(dim=dim, heads=heads, drop_path_rate=0.1), DINOHead(dim, cfg["outDim"]))
    teacher = MultiCropWrapper(VisionTransformer(dim=dim, heads=heads), DINOHead(dim, cfg["outDim"]))
    student.to(device)
    teacher.to(device)
    teacher.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False
    regularized = [p for n, p in student.named_parameters() if p.requires_grad and not (n.endswith(".bias") or p.ndim == 1)]
    not_regularized = [p for n, p in student.named_parameters() if p.requires_grad and (n.endswith(".bias") or p.ndim == 1)]
    optimizer = torch.optim.AdamW([{"params": regularized}, {"params": not_regularized, "weight_decay": 0.0}])
    center = torch.zeros(1, cfg["outDim"], device=device)
    B = cfg["batch"]
    crops = [torch.randn(B, 3, cfg["globalSize"], cfg["globalSize"], device=device) for _ in range(2)]
    crops += [torch.randn(B, 3, cfg["localSize"], cfg["localSize"], device=device) for _ in range(cfg["localCrops"])]
    ncrops = len(crops)

    def step():
        nonlocal center
        for i, group in enumerate(optimizer.param_groups):
            group["lr"] = 1e-4
            if i == 0:
                group["weight_decay"] = 0.04
        teacher_output = teacher(crops[:2])
        student_output = student(crops)
        loss = dino_loss(student_output, teacher_output, center, ncrops)
        optimizer.zero_grad()
        loss.backward()
        for p in student.parameters():
            if p.grad is not None:
                clip_coef = 3.0 / (p.grad.data.norm(2) + 1e-6)
                if clip_coef < 1:
                    p.grad.data.mul_(clip_coef)
        optimizer.step()
        with torch.no_grad():
            center = center * 0.9 + teacher_output.mean(dim=0, keepdim=True) * 0.1
            m = 0.996
            for q, k in zip(student.parameters(), teacher.parameters()):
                k.data.mul_(m).add_((1 - m) * q.detach().data)
        return loss.item()

    for _ in range(cfg.get("warmup", 1)):
        step()  # warm-up: allocator and kernels
    times = []
    for _ in range(cfg.get("steps", 3)):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    seconds = sorted(times)[len(times) // 2]
    return {
        "imagesPerSecond": B / seconds,
        "secondsPerStep": seconds,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)
