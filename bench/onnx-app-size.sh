#!/bin/bash
# Issue #14's footprint goal: the self-contained published ONNX scorer app vs the TorchSharp scorer app, both published
# the same way (dotnet publish -c Release -r linux-x64 --self-contained; each project's own publish settings: the ONNX
# app's csproj trims, see samples/OnnxScoringApi/OnnxScoringApi.csproj). Sizes are `du -sb` of the publish folders,
# without a model: a deployment adds its model file on either side (.onnx 91.3 MB fp32 / 35.1 MB int8; model zip 83.6 MB).
# With a model.onnx, the trimmed app is started on it and POST /predict is answered (a smoke test of the trimmed build).
#   usage: bench/onnx-app-size.sh OUT_FOLDER [model.onnx]
set -euo pipefail
out=${1:?usage: bench/onnx-app-size.sh OUT_FOLDER [model.onnx]}; model=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
publish() { # name, project, extra args
  local name=$1 project=$2; shift 2
  rm -rf "${out:?}/$name"
  nice -n 19 dotnet publish "$root/samples/$project" -c Release -r linux-x64 --self-contained -o "$out/$name" "$@" >"$out/$name.log" 2>&1 \
    || { tail -20 "$out/$name.log"; exit 1; }
  echo "$name $(du -sb "$out/$name" | cut -f1) $(find "$out/$name" -type f | wc -l)"
}
{
  publish onnx-trimmed OnnxScoringApi
  publish onnx-untrimmed OnnxScoringApi -p:PublishTrimmed=false
  publish torchsharp SentimentScorer
} | tee "$out/sizes.txt" | awk '{ printf "%-16s %8.1f MB  %4d files\n", $1, $2 / 1e6, $3 }'
# The ONNX app must ship no TorchSharp/libtorch (MLNet.FineTune.Onnx has no such dependency).
if find "$out/onnx-trimmed" "$out/onnx-untrimmed" -iname '*torch*' | grep -q .; then echo "torch files in the ONNX app:"; find "$out/onnx-trimmed" "$out/onnx-untrimmed" -iname '*torch*'; exit 1; fi
awk '{ s[$1] = $2 } END { printf "ratio trimmed/torchsharp %.3f, untrimmed/torchsharp %.3f\n", s["onnx-trimmed"] / s["torchsharp"], s["onnx-untrimmed"] / s["torchsharp"] }' "$out/sizes.txt"

if [ -n "$model" ]; then
  port=$((20000 + RANDOM % 20000))
  "$out/onnx-trimmed/OnnxScoringApi" "$model" "http://127.0.0.1:$port" >"$out/onnx-trimmed.run.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 2; done
  curl -sS "http://127.0.0.1:$port/"; echo
  curl -sS -X POST "http://127.0.0.1:$port/predict" -H 'Content-Type: application/json' \
    -d '{"texts":["a great film","dull and boring","Café crème: naïve, déjà vu — CAFÉ Über straße"]}'; echo
fi
