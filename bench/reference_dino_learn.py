"""The reference beside `npm run bench:learn`: DINO from scratch in PyTorch on the same photos, with
the same configuration and step count, following facebookresearch/dino: the model and head of
`vision_transformer.py` (reference_vit.py, initialised as the official `_init_weights`),
`DataAugmentationDINO` (multi-crop, flip, colour jitter p 0.8 in random order, grayscale p 0.2,
blur 1.0 / 0.1 / 0.5, solarization 0.2 on the second global view), `DINOLoss` with its center and
teacher-temperature warm-up, `utils.cosine_scheduler` for lr (linear scaling, warm-up), weight
decay and teacher momentum, AdamW with the unregularised group, per-parameter gradient clipping,
the frozen last layer, and the teacher EMA. Written for this benchmark from reading the official
code (no file copied). torchvision is not needed: the crops and colour operations use PIL.

Evaluation as bench:learn: weighted k-NN (k 20, T 0.07), leave-one-out over every photo, the
teacher's final-norm CLS of the centre crop at the global crop size; at step 0 (untrained) and
every --eval-every-steps steps. Prints one line per evaluation.

Usage: python3 reference_dino_learn.py --data FOLDER --config JSON --steps N --eval-every-steps E
"""
import argparse
import copy
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageEnhance, ImageFilter, ImageOps
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_vit import DINOHead, VisionTransformer  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
ARCH = {"vit_tiny": (192, 12, 3), "vit_small": (384, 12, 6), "vit_base": (768, 12, 12)}


def load_photos(folder):
    """Every photo under FOLDER/<class>/, its shorter side brought to 256 px as the library's training copy."""
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    images, labels = [], []
    for label, name in enumerate(classes):
        for file in sorted(os.listdir(os.path.join(folder, name))):
            image = Image.open(os.path.join(folder, name, file)).convert("RGB")
            scale = 256 / min(image.size)
            image = image.resize((max(256, round(image.width * scale)), max(256, round(image.height * scale))), Image.BICUBIC)
            images.append(image)
            labels.append(label)
    return images, np.array(labels), len(classes)


def random_resized_crop(image, size, scale, ratio=(3 / 4, 4 / 3)):
    """torchvision RandomResizedCrop.get_params, then a bicubic resize."""
    width, height = image.size
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * random.uniform(*scale)
        aspect = math.exp(random.uniform(*log_ratio))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = random.randint(0, height - h)
            left = random.randint(0, width - w)
            return image.resize((size, size), Image.BICUBIC, box=(left, top, left + w, top + h))
    w, h = width, height
    in_ratio = width / height
    if in_ratio < ratio[0]:
        h = int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        w = int(round(h * ratio[1]))
    top, left = (height - h) // 2, (width - w) // 2
    return image.resize((size, size), Image.BICUBIC, box=(left, top, left + w, top + h))


def shift_hue(image, amount):
    hsv = np.array(image.convert("HSV"))
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + int(amount * 255)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def flip_and_color_jitter(image):
    if random.random() < 0.5:
        image = ImageOps.mirror(image)
    if random.random() < 0.8:  # ColorJitter(0.4, 0.4, 0.2, 0.1), its four operations in random order
        operations = [
            lambda im: ImageEnhance.Brightness(im).enhance(random.uniform(0.6, 1.4)),
            lambda im: ImageEnhance.Contrast(im).enhance(random.uniform(0.6, 1.4)),
            lambda im: ImageEnhance.Color(im).enhance(random.uniform(0.8, 1.2)),
            lambda im: shift_hue(im, random.uniform(-0.1, 0.1)),
        ]
        random.shuffle(operations)
        for operation in operations:
            image = operation(image)
    if random.random() < 0.2:
        image = image.convert("L").convert("RGB")
    return image


def blur(image, p):
    if random.random() <= p:
        return image.filter(ImageFilter.GaussianBlur(radius=random.uniform(0.1, 2.0)))
    return image


def to_tensor(image):
    return torch.from_numpy(((np.asarray(image, dtype=np.float32) / 255 - MEAN) / STD).transpose(2, 0, 1).copy())


def multi_crop(image, cfg):
    g, l = cfg["globalCropSize"], cfg["localCropSize"]
    gs, ls = cfg["globalCropsScale"], cfg["localCropsScale"]
    first = blur(flip_and_color_jitter(random_resized_crop(image, g, gs)), 1.0)
    second = blur(flip_and_color_jitter(random_resized_crop(image, g, gs)), 0.1)
    if random.random() < 0.2:
        second = ImageOps.solarize(second)
    crops = [first, second]
    for _ in range(cfg["localCropsNumber"]):
        crops.append(blur(flip_and_color_jitter(random_resized_crop(image, l, ls)), 0.5))
    return [to_tensor(c) for c in crops]


def init_weights(module):
    """The official `_init_weights` of the ViT and the head: truncated normal 0.02, zero biases, unit norms."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.constant_(module.bias, 0)
    elif isinstance(module, nn.LayerNorm):
        nn.init.constant_(module.bias, 0)
        nn.init.constant_(module.weight, 1.0)


class Wrapper(nn.Module):
    """MultiCropWrapper: the backbone on each run of same-size crops, the head on all."""

    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, crops):
        sizes = torch.tensor([c.shape[-1] for c in crops])
        ends = torch.cumsum(torch.unique_consecutive(sizes, return_counts=True)[1], 0)
        start, outputs = 0, []
        for end in ends:
            outputs.append(self.backbone(torch.cat(crops[start:end])))
            start = end
        return self.head(torch.cat(outputs))


def cosine_scheduler(base, final, epochs, per_epoch, warmup_epochs=0, start_warmup=0):
    warmup = np.linspace(start_warmup, base, warmup_epochs * per_epoch) if warmup_epochs > 0 else np.array([])
    iters = np.arange(epochs * per_epoch - len(warmup))
    schedule = final + 0.5 * (base - final) * (1 + np.cos(np.pi * iters / len(iters)))
    return np.concatenate((warmup, schedule))


def knn_top(features, labels, classes, k=20, T=0.07):
    """Weighted k-NN, leave-one-out (eval_knn.py's knn_classifier with each photo held out)."""
    features = F.normalize(features, dim=1)
    similarity = features @ features.T
    similarity.fill_diagonal_(-float("inf"))
    values, indices = similarity.topk(k, dim=1)
    votes = torch.zeros(len(labels), classes)
    weights = (values / T).exp()
    neighbour_labels = torch.as_tensor(labels)[indices]
    votes.scatter_add_(1, neighbour_labels, weights)
    ranked = votes.argsort(dim=1, descending=True)
    truth = torch.as_tensor(labels)[:, None]
    top1 = (ranked[:, :1] == truth).any(dim=1).float().mean().item() * 100
    top5 = (ranked[:, : min(5, k)] == truth).any(dim=1).float().mean().item() * 100
    return top1, top5


@torch.no_grad()
def evaluate(backbone, images, labels, classes, size):
    backbone.eval()
    resize = round(size * 256 / 224)
    features = []
    for start in range(0, len(images), 64):
        batch = []
        for image in images[start : start + 64]:
            scale = resize / min(image.size)
            im = image.resize((max(resize, round(image.width * scale)), max(resize, round(image.height * scale))), Image.BICUBIC)
            left, top = (im.width - size) // 2, (im.height - size) // 2
            batch.append(to_tensor(im.crop((left, top, left + size, top + size))))
        features.append(backbone(torch.stack(batch)))
    return knn_top(torch.cat(features), labels, classes)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--eval-every-steps", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    cfg = json.loads(args.config)
    torch.set_num_threads(args.threads)
    torch.manual_seed(cfg["seed"])
    random.seed(cfg["seed"])

    images, labels, classes = load_photos(args.data)
    dim, depth, heads = ARCH[cfg["arch"]]
    dim, depth, heads = cfg["embedDim"] or dim, cfg["depth"] or depth, cfg["numHeads"] or heads
    size = cfg["imgSize"] or cfg["globalCropSize"]

    def network(drop_path):
        backbone = VisionTransformer(cfg["patchSize"], dim, depth, heads, size, drop_path_rate=drop_path)
        backbone.apply(init_weights)
        nn.init.trunc_normal_(backbone.pos_embed, std=0.02)
        nn.init.trunc_normal_(backbone.cls_token, std=0.02)
        head = DINOHead(dim, cfg["outDim"], cfg["headHiddenDim"], cfg["headBottleneckDim"])
        head.mlp.apply(init_weights)
        return Wrapper(backbone, head)

    student = network(cfg["dropPathRate"])
    teacher = network(0.0)
    teacher.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False

    batch = cfg["batchSize"]
    per_epoch = len(images) // batch
    epochs = cfg["epochs"]
    lr = cosine_scheduler(cfg["lr"] * batch / 256, cfg["minLr"], epochs, per_epoch, cfg["warmupEpochs"])
    wd = cosine_scheduler(cfg["weightDecay"], cfg["weightDecayEnd"], epochs, per_epoch)
    momentum = cosine_scheduler(cfg["momentumTeacher"], 1, epochs, per_epoch)
    warm = cfg["warmupTeacherTempEpochs"]
    teacher_temp = np.concatenate(
        (np.linspace(cfg["warmupTeacherTemp"], cfg["teacherTemp"], warm), np.ones(epochs - warm) * cfg["teacherTemp"])
    )
    regularized = [p for n, p in student.named_parameters() if p.requires_grad and not (n.endswith(".bias") or p.ndim == 1)]
    plain = [p for n, p in student.named_parameters() if p.requires_grad and (n.endswith(".bias") or p.ndim == 1)]
    optimizer = torch.optim.AdamW([{"params": regularized}, {"params": plain, "weight_decay": 0.0}])
    center = torch.zeros(1, cfg["outDim"])
    ncrops = 2 + cfg["localCropsNumber"]

    def report(step, seconds, rate):
        top1, top5 = evaluate(teacher.backbone, images, labels, classes, cfg["globalCropSize"])
        epoch = step // per_epoch
        print(
            f"  ref {epoch:5d} {step:5d} {step * batch:12d} {seconds / 60:8.1f} {rate:6.1f} {top1:11.1f} {top5:6.1f}"
            + ("   (untrained)" if step == 0 else ""),
            flush=True,
        )

    print("  ref epoch  step  images seen  minutes  img/s  k-NN top-1  top-5", flush=True)
    report(0, 0, 0)
    order, trained_seconds, epoch_seconds = [], 0.0, 0.0
    for step in range(args.steps):
        epoch = step // per_epoch
        if not order:
            order = list(range(len(images)))
            random.shuffle(order)
        chosen, order = order[:batch], order[batch:]
        views = [multi_crop(images[i], cfg) for i in chosen]
        crops = [torch.stack([v[c] for v in views]) for c in range(ncrops)]
        started = time.time()
        student.train()
        for i, group in enumerate(optimizer.param_groups):
            group["lr"] = lr[step]
            if i == 0:
                group["weight_decay"] = wd[step]
        teacher_output = teacher(crops[:2])
        student_output = student(crops)
        s = (student_output / cfg["studentTemp"]).chunk(ncrops)
        t = F.softmax((teacher_output - center) / teacher_temp[epoch], dim=-1).detach().chunk(2)
        loss, terms = 0, 0
        for iq, q in enumerate(t):
            for v in range(ncrops):
                if v != iq:
                    loss = loss + torch.sum(-q * F.log_softmax(s[v], dim=-1), dim=-1).mean()
                    terms += 1
        loss = loss / terms
        if not math.isfinite(loss.item()):
            print(f"  ref: loss {loss.item()} at step {step + 1}, stopping", flush=True)
            return
        optimizer.zero_grad()
        loss.backward()
        if cfg["clipGrad"]:
            for p in student.parameters():
                if p.grad is not None:
                    coef = cfg["clipGrad"] / (p.grad.data.norm(2) + 1e-6)
                    if coef < 1:
                        p.grad.data.mul_(coef)
        if epoch < cfg["freezeLastLayer"]:
            for n, p in student.named_parameters():
                if "last_layer" in n:
                    p.grad = None
        optimizer.step()
        with torch.no_grad():
            center = center * cfg["centerMomentum"] + teacher_output.mean(0, keepdim=True) * (1 - cfg["centerMomentum"])
            m = momentum[step]
            for q, k in zip(student.parameters(), teacher.parameters()):
                k.data.mul_(m).add_((1 - m) * q.detach().data)
        spent = time.time() - started
        trained_seconds += spent
        epoch_seconds += spent
        if (step + 1) % 10 == 0:
            print(f"  ref step {step + 1}: loss {loss.item():.4f}, {batch / spent:.1f} img/s", file=sys.stderr, flush=True)
        if (step + 1) % args.eval_every_steps == 0 or step + 1 == args.steps:
            report(step + 1, trained_seconds, args.eval_every_steps * batch / epoch_seconds)
            epoch_seconds = 0.0


if __name__ == "__main__":
    main()
