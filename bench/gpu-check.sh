#!/usr/bin/env bash
# The one prepared check for a machine with a GPU (run from the repository root, after `npm ci`):
# what doctor finds (adapter, limits, the gpu preset's memory plan), then bench:train on WebGPU for
# ViT-Tiny 96/48 and ViT-S/16 224/96 (batch 32, out_dim 65536 as the gpu preset) with PyTorch's
# eager CUDA step of the same configuration as the anchor where torch sees CUDA, and the ratio.
# Every part runs under a timeout so that the whole fits about 9 minutes and leaves room to rerun;
# a part that times out says so and the next one still runs.
set -u
cd "$(dirname "$0")/.."
part() {
  local seconds=$1
  shift
  echo "== $* (timeout ${seconds} s)"
  timeout "$seconds" "$@"
  local code=$?
  if [ "$code" -eq 124 ]; then echo "== timed out after ${seconds} s: $*"; fi
  return 0
}
part 60 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
part 60 python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
part 90 node core/cli/dinoscope.js doctor
part 180 npx tsx bench/train.ts --backend webgpu --only small --steps 3 --warmup 2
part 300 npx tsx bench/train.ts --backend webgpu --only reference --out-dim 65536 --steps 3 --warmup 2
