#!/usr/bin/env bash
# The seqlab demo: everything here uses text that ships with Python or the installed packages;
# nothing is downloaded. Run through `make demo` (which puts .venv/bin first on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=runs/demo
rm -rf "$OUT"
mkdir -p "$OUT"
export PYTHONWARNINGS=ignore

section() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

section "1. A character language model on Python's own documentation (pydoc_data)"
python - "$OUT/pydoc.txt" <<'PY'
import sys
from pydoc_data.topics import topics
text = "\n\n".join(topics[k] for k in sorted(topics))
cut = int(len(text) * 0.95)  # the config holds out the same last 5% for validation
open(sys.argv[1], "w", encoding="utf-8").write(text)
open(sys.argv[1].replace(".txt", ".tail.txt"), "w", encoding="utf-8").write(text[cut:])
print(f"{len(text):,} characters of pydoc topic help -> {sys.argv[1]}")
PY
seqlab train configs/char_demo.yaml --set data.train="$OUT/pydoc.txt" --set out_dir="$OUT/char"
seqlab evaluate "$OUT/char" --data "$OUT/pydoc.tail.txt"
section "Samples (temperature 0.8, the model's own output fed back)"
seqlab generate "$OUT/char" --prime "The " --length 300 --temperature 0.8 --seed 1
echo
echo "loss curve: $OUT/char/loss.png"

section "2. The 'hello' walk-through: h_t = tanh(Wx x_t + Wh h_{t-1} + b), by the numbers"
seqlab explain --cell rnn --text hello --hidden-size 4 --seed 0 --plot "$OUT/hello.png"

section "3. Parameter counts: the lecture's 529,441 (Keras) and PyTorch's 529,569"
seqlab params "embedding(5000,100) rnn(128) dense(1)" --seq-len 30
