#!/usr/bin/env bash
# Adds every new public symbol of src/MLNet.FineTune to PublicAPI.Unshipped.txt and drops removed ones from both files,
# from the analyzer's own RS0016/RS0017 diagnostics. Review the diff: it is the change to the public surface.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-src/MLNet.FineTune}  # or src/MLNet.FineTune.Onnx
log=$(mktemp)
dotnet build "$dir" -c Release --no-incremental -p:PublicApiAsWarnings=true 2>&1 > "$log" || true
python3 - "$log" "$dir" <<'PY'
import re, sys
log, d = sys.argv[1], sys.argv[2]
text = open(log).read()
new = sorted(set(re.findall(r"RS0016: Symbol '(.+?)' is not part of the declared public API", text)))
gone = set(re.findall(r"RS0017: Symbol '(.+?)' is part of the declared API", text))
for name in ("PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt"):
    path = f"{d}/{name}"
    lines = [l for l in open(path).read().splitlines() if l and l not in gone]
    if name == "PublicAPI.Unshipped.txt": lines = lines[:1] + sorted(set(lines[1:]) | set(new))
    open(path, "w").write("\n".join(lines) + "\n")
print(f"added {len(new)}, removed {len(gone)}")
PY
git diff --stat -- "$dir"/PublicAPI.*.txt
