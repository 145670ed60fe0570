"""The paths and commands that docs/tour.md and docs/tour.ko.md share, so the two tours run the
very same command lines (make_tour.py runs a shared command once and prints its output in both).
"""

from __future__ import annotations

FIG = "docs/figures"
PTB = "../shared/data/ptb/ptb.train.txt"
M30K = "../shared/data/multi30k"
S2S_NONE, S2S_ATT = "runs/bench/m30k-none", "runs/bench/m30k-bahdanau"
S2S_LUONG = "runs/bench/m30k-luong"

# (command, max_lines) lists of the sections both tours have
PARAMS = [
    ('seqlab params "embedding(5000,100) rnn(128) dense(1)" --seq-len 30', 30),
    ('seqlab params "embedding(10000,128) bilstm(256) lstm(256) dense(10)"', 30),
]
WORD_VECTORS = [
    (
        f"seqlab embed train {PTB} --out runs/tour/ptb --dim 100 --epochs 5 --min-count 5 "
        "--no-progress",
        6,
    ),
    ("seqlab embed compare runs/tour/ptb.safetensors monday friday stock shares", 16),
    ("seqlab embed neighbors runs/tour/ptb.safetensors monday stock --k 5", 16),
    (
        "seqlab embed plot runs/tour/ptb.safetensors --words monday,tuesday,friday,"
        f"stock,shares,bonds,president,chairman,executive --out {FIG}/embeddings.png",
        3,
    ),
]

# the last section of both tours: attention without recurrence (runs of bench/, see its text)
S2S_TRANSFORMER = "runs/bench/m30k-transformer"
SAME_BUDGET = " ".join(
    f"runs/bench/m30k-{kind}-4min" for kind in ("none", "bahdanau", "transformer")
)  # bench/attention_three_way.sh, 4 CPU-minutes each; then the 20-minute Transformer
TRANSFORMER = [
    (
        "seqlab explain --arch transformer --text hello --hidden-size 4 --seed 0 "
        f"--plot {FIG}/hello_attention.png | tail -n 18",
        18,
    ),
    (
        "seqlab diagnose gradients --cells rnn,lstm,gru,transformer --length 100 "
        f"--train-steps 300 --plot {FIG}/tour_gradients_transformer.png",
        24,
    ),
    (
        f"seqlab diagnose bottleneck {SAME_BUDGET} {S2S_TRANSFORMER} --src {M30K}/val.en.gz "
        f"--ref {M30K}/val.fr.gz --plot {FIG}/bottleneck_transformer.png",
        11,
    ),
    (
        f"seqlab translate {S2S_TRANSFORMER} --beam 5 "
        "'A little girl is climbing into a wooden playhouse.'",
        4,
    ),
]
