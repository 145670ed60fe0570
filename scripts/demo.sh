#!/usr/bin/env bash
# The seqlab demo, a short tour of the lecture. Everything here uses text that ships with Python
# or the installed packages (pydoc_data, chatterbot-corpus); nothing is downloaded, and nothing
# is read from ../shared. Run through `make demo`, which puts .venv/bin first on PATH.
#
# Every training is budgeted in steps, never in minutes, with the seed and thread count of its
# config: stdout is then the same on an idle machine and a busy one, and a slow machine only
# takes longer (5 min 38 s on 2 idle AVX2 cores). The budgets: the char LM one epoch (216 steps),
# the chatbot 650 steps (10 epochs; it answers "hello" with a greeting), the topic classifier
# 612 (12 epochs). The wall time, which varies by nature, goes to stderr.
#
# SEQLAB_DEMO_SCALE (default 1) multiplies every step budget, and the 200 training questions the
# chatbot's validation decodes for BLEU: its test runs the demo at 0.02.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=runs/demo
source scripts/scale.sh
rm -rf "$OUT"
mkdir -p "$OUT"
export PYTHONWARNINGS=ignore
# Commands other than `seqlab train` (which sets train.threads from its config) use torch's
# default thread count, the number of cores; one thread gives the same numbers on any machine.
export OMP_NUM_THREADS=1

section() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }


section "1. A character language model on Python's own documentation (pydoc_data)"
python - "$OUT" <<'PY'
import sys
from pydoc_data.topics import topics
out = sys.argv[1]
text = "\n\n".join(topics[k] for k in sorted(topics))
cut = int(len(text) * 0.95)  # the config holds out the same last 5% for validation
open(f"{out}/pydoc.txt", "w", encoding="utf-8").write(text)
open(f"{out}/pydoc.tail.txt", "w", encoding="utf-8").write(text[cut:])
print(f"{len(text):,} characters of pydoc topic help -> {out}/pydoc.txt")
PY
seqlab train configs/char_demo.yaml --set data.train="$OUT/pydoc.txt" --set out_dir="$OUT/char" \
  --set train.max_steps="$(steps 216)" --set train.progress=false
seqlab evaluate "$OUT/char" --data "$OUT/pydoc.tail.txt"
echo "-- samples (temperature 0.8; the model's own output is fed back, the lecture's test mode):"
seqlab generate "$OUT/char" --prime "The " --length 300 --temperature 0.8 --seed 1
echo "loss curve: $OUT/char/loss.png"

section "2. Seq2seq with attention: a chatbot on the chatterbot corpus (many-to-many)"
seqlab train configs/chatbot.yaml --set out_dir="$OUT/chatbot" \
  --set train.max_steps="$(steps 650)" --set data.bleu_sentences="$(steps 200)" \
  --set train.progress=false
printf 'hello\nhow are you\nwhat is your name\ntell me a joke\n' > "$OUT/questions.txt"
seqlab chat "$OUT/chatbot" --beam 5 < "$OUT/questions.txt" | paste -d '|' "$OUT/questions.txt" - \
  | sed 's/|/  ->  /'
seqlab translate "$OUT/chatbot" --beam 5 --attention-plot "$OUT/attention.png" "how are you"

section "3. Many-to-one: which chatterbot topic does a question belong to?"
python - "$OUT/topics.tsv" <<'PY'
import sys, yaml
from seqlab.data.chatterbot import corpus_dir
rows = []
for path in sorted(corpus_dir("english").glob("*.yml")):
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for conv in data.get("conversations") or []:
        if conv and isinstance(conv[0], str) and conv[0].strip():
            rows.append(f"{path.stem}\t{' '.join(conv[0].split())}")
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(rows) + "\n")
print(f"{len(rows):,} questions in {len({r.split(chr(9))[0] for r in rows})} topics -> {sys.argv[1]}")
PY
# classify_sms.yaml's model and optimiser on the topics. Its 30-minute cap is switched off: the
# budget is 12 epochs of 51 batches (612 steps), scaled like the others.
seqlab train configs/classify_sms.yaml --set data.train="$OUT/topics.tsv" \
  --set out_dir="$OUT/topics" --set data.class_weight=none --set data.lowercase=true \
  --set train.epochs=12 --set train.max_steps="$(steps 612)" --set train.time_limit_minutes=0 \
  --set train.progress=false
printf 'who wrote hamlet\nwhat is a computer\nwho won the world cup\n' > "$OUT/questions.txt"
seqlab predict "$OUT/topics" --input "$OUT/questions.txt"

section "4. The 'hello' walk-through: h_t = tanh(Wx x_t + Wh h_{t-1} + b), by the numbers"
seqlab explain --cell rnn --text hello --hidden-size 4 --seed 0 --plot "$OUT/hello.png" | tail -n 32

section "5. Parameter counts: the lecture's 529,441 (Keras) and PyTorch's 529,569"
seqlab params "embedding(5000,100) rnn(128) dense(1)" --seq-len 30

section "6. Vanishing gradients: ||dL/dh_t|| from the last step back to the first"
# The demo's own text, not ../shared's Shakespeare: the same table with or without it.
seqlab diagnose gradients --cells rnn,lstm,gru --length 60 --train-steps 0 --text "$OUT/pydoc.txt" \
  --plot "$OUT/gradients.png"
echo
echo "Everything is in $OUT/. Next: docs/tour.md walks through the lecture section by section."
echo "To try the trained models in the web studio (the chatbot, the topic classifier, the char LM"
echo "and the hello explainer), run this and open http://127.0.0.1:8000/ :"
echo "  .venv/bin/seqlab serve $OUT/chatbot $OUT/topics $OUT/char"
# The one line that differs from run to run, so it goes to stderr.
printf 'demo finished in %d min %d s\n' $((SECONDS / 60)) $((SECONDS % 60)) >&2
