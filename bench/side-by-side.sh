#!/bin/bash
# Issue #17's side-by-side: ours vs Hugging Face's Trainer (MiniLM SST-2, 3,200 rows) and vs PyTorch eager (bench.py
# full / lora), alternating, ROUNDS rounds; one JSON line per run under OUT. Needs: a Release build of the benchmarks,
# the converted MiniLM (`bench export-hf minilm /tmp/minilm-hf`), the rows train.py draws (`--train-rows 3200`, seed 42)
# written as TSV to $SUBSET, and shared/bench/hf-trainer's environment (SETUP.md) in $PYTHONPATH_HF.
# OPENBLAS_CORETYPE picks the reference's kernel: use the fastest one for the CPU (SkylakeX on AVX-512 hosts).
set -u
ROUNDS=${ROUNDS:-3}; OUT=${OUT:-/tmp/side-by-side}; SUBSET=${SUBSET:-/tmp/sst2-3200.tsv}
SHARED=${SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
B="dotnet $(cd "$(dirname "$0")" && pwd)/MLNet.FineTune.Benchmarks/bin/Release/net10.0/MLNet.FineTune.Benchmarks.dll"
PY="env OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp PYTHONPATH=${PYTHONPATH_HF:-/tmp/hfenv/site} /usr/bin/python3"
mkdir -p "$OUT"
for r in $(seq 1 "$ROUNDS"); do
  echo "$(date -u +%T) round $r" >> "$OUT/log.txt"
  $B sst2 finetune --model minilm --train-file "$SUBSET" --epochs 1 --lr 1e-4 --batch 16 --maxlen 64 --warmup 0 >> "$OUT/sst2-ours.jsonl"
  $PY "$SHARED/bench/hf-trainer/train.py" sst2 --name "side-by-side-$r" --out "$OUT" --init /tmp/minilm-hf --train-rows 3200 \
      --epochs 1 --maxlen 64 --lr 1e-4 --batch 16 --wd 0.01 --threads 2 > "$OUT/trainer-$r.log" 2>&1
  for m in full lora; do
    $B train $m >> "$OUT/train-ours.jsonl"
    $PY "$SHARED/bench/pytorch-reference/bench.py" $m >> "$OUT/train-pytorch.jsonl"
  done
done
$B gemm-floor full >> "$OUT/gemm-floor.txt"; $B gemm-floor lora >> "$OUT/gemm-floor.txt"
