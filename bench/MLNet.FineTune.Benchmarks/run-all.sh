#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md, ours interleaved with the PyTorch reference, one process per run.
# usage: bench/MLNet.FineTune.Benchmarks/run-all.sh OUT_DIR   (after: dotnet build -c Release bench/MLNet.FineTune.Benchmarks)
set -u
out=${1:?output folder}; mkdir -p "$out"
B=bench/MLNet.FineTune.Benchmarks/bin/Release/net10.0/MLNet.FineTune.Benchmarks
PY="env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 /work/shared/bench/pytorch-reference/bench.py"
for rep in 1 2 3; do
  $PY infer >> "$out/encoder.jsonl";  $B encoder >> "$out/encoder.jsonl"
  $PY full >> "$out/train.jsonl"
  if [ $rep = 1 ]; then $B train full --steps 200 >> "$out/train.jsonl"; else $B train full >> "$out/train.jsonl"; fi
  $PY lora >> "$out/train.jsonl"
  if [ $rep = 1 ]; then $B train lora --steps 200 >> "$out/train.jsonl"; else $B train lora >> "$out/train.jsonl"; fi
done
$B peft all --steps 5 --warmup 1 >> "$out/peft.jsonl"
$B scoring baseline >> "$out/scoring.jsonl"; $B scoring finetune >> "$out/scoring.jsonl"
$B sst2 baseline >> "$out/sst2.jsonl"
$B sst2 finetune --epochs 3 >> "$out/sst2.jsonl"
$B sst2 finetune --epochs 5 >> "$out/sst2.jsonl"
$B sst2 finetune --epochs 3 --hidden 256 --layers 4 --heads 4 --ffn 1024 --lr 5e-4 >> "$out/sst2.jsonl"
# SST-2 on the whole training set (67,349 rows): the baseline and FineTune with three seeds (~3 min each).
$B sst2 baseline --rows 67349 >> "$out/sst2.jsonl"
for seed in 42 1 7; do $B sst2 finetune --rows 67349 --epochs 2 --seed $seed >> "$out/sst2.jsonl"; done
$B ops >> "$out/ops.jsonl"
# NER from scratch (all train sentences, 3 epochs, MaxSequenceLength 128) and multi-task SST-2 + WikiANN (8000 rows each).
# Measured on 2 idle cores: CoNLL-2003 fit 76 s, WikiANN 91 s, multitask ~2.5 min per run (three fits + scoring).
# On a machine shared with other work, libgomp's spin-waiting made these 5-8x slower; OMP_WAIT_POLICY=PASSIVE avoided it.
$B ner conll2003 >> "$out/ner.jsonl"
$B ner wikiann >> "$out/ner.jsonl"
$B multitask >> "$out/multitask.jsonl"
$B multitask --sampling roundrobin >> "$out/multitask.jsonl"
