#!/bin/bash
# Issue #16's decoder comparisons as alternating pairs (ours, PyTorch, ours, PyTorch), one process per run, each run under
# /work/quiet.sh when it exists (stops nice-19 builds for its duration) with a 3-minute limit. Appends one JSON line
# per run, with the load average before it, to $OUT (default /tmp/decoders-vs-pytorch.jsonl).
# usage: bench/decoders-vs-pytorch.sh step gpt2 full | step llama lora | generate gpt2 --batch 8 --cache false --new 32 ...
# Build first: dotnet build bench/MLNet.FineTune.Benchmarks -c Release.  PyTorch side: bench/decoder_reference.py.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/decoders-vs-pytorch.jsonl}
PAIRS=${PAIRS:-2}
QUIET=$([ -x /work/quiet.sh ] && echo /work/quiet.sh || echo)
what=$1; shift
ours=(dotnet "$ROOT/bench/MLNet.FineTune.Benchmarks/bin/Release/net10.0/MLNet.FineTune.Benchmarks.dll" "decoder-$what" "$@")
torch=(env OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Zen} LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
       PYTHONPATH=${HFENV_SITE:-/tmp/hfenv/site} /usr/bin/python3 "$ROOT/bench/decoder_reference.py" "$what" "$@")
# Another quiet.sh (someone else's timing) would make both timings invalid: wait for it, at most 5 minutes.
wait_for_others() {
  for _ in $(seq 60); do pgrep -f '^/bin/bash /work/quiet.sh' >/dev/null || return; sleep 5; done
}
run() {
  wait_for_others
  local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
  local line; line=$(cd /tmp && $QUIET timeout 180 "$@" 2>/dev/null | tail -1)
  echo "{\"load_before\": \"$load\", \"args\": \"$what $*\", \"result\": ${line:-null}}" | sed "s|$ROOT/||g" >> "$OUT"
  echo "$line"
}
for i in $(seq "$PAIRS"); do
  run "${ours[@]}"
  run "${torch[@]}"
done
