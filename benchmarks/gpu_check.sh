#!/usr/bin/env bash
# The GPU checks, in one run of a few minutes on a machine with CUDA (CI has
# none): the tests marked `gpu`, data-parallel training with one process per
# GPU, and the time per epoch of fine-tuning the pretrained classifier.
#
#   bash benchmarks/gpu_check.sh            # from the repository root, skattn installed
#                                           # with the [dev,hf,distributed] extras
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python -m pytest -q -o addopts="" -m gpu tests/test_gpu.py
gpus=$(python -c "import torch; print(torch.cuda.device_count())")
if [ "$gpus" -gt 1 ]; then
    python benchmarks/bench_distributed.py --gpu --nproc "$gpus"
fi
python benchmarks/bench_finetune.py --device cuda --datasets TREC-6 MR --epochs 2
python benchmarks/bench_finetune.py --device cuda --datasets TREC-6 --epochs 2 --bf16
