"""Write docs/tour.md: the lecture, section by section, as commands with their real output.

Run after `make demo` (some sections use the demo's trained runs under runs/demo/):

    python scripts/make_tour.py [--only N]

Every output block below a command is what that command printed when this script ran; figures
are written to docs/figures/. Long outputs are cut (marked with an ellipsis line).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIG = "docs/figures"

PTB = "../shared/data/ptb/ptb.train.txt"
M30K = "../shared/data/multi30k"
S2S_NONE, S2S_ATT = "runs/bench/m30k-none", "runs/bench/m30k-bahdanau"
S2S_LUONG = "runs/bench/m30k-luong"

# (title, lecture topic, [(command, max_lines)], what to notice); a command whose run directory
# or data is missing is listed with a note instead of output.
SECTIONS: list[tuple[str, str, list[tuple[str, int]], str]] = [
    (
        "1. Sequence model and memory cell",
        "An RNN reads x_1..x_t and keeps a hidden state h_t in a memory cell; the same function "
        "(the same weights) is applied at every t, which is what makes it recurrent.",
        [("seqlab explain --cell lstm --text hello --hidden-size 4 --seed 0 --steps 0", 22)],
        "The LSTM memory cell is four gates (i, f, g, o) computed from x_t and h_{t-1}; c_t "
        "carries the memory and h_t = o * tanh(c_t) is what the next step and the output see. "
        "The numbers come from seqlab's explicit cells run on the fused layer's own parameters; "
        "the tests prove the two paths equal (outputs, states and gradients, within 1e-5 in "
        "float64).",
    ),
    (
        "2. The RNN types",
        "One-to-many (a caption from one image), many-to-one (spam or not, a film's genre), "
        "many-to-many (tag every word; translate or answer a question).",
        [
            ("seqlab generate runs/demo/char --prime 'The ' --length 160 --seed 3", 12),
            (
                "seqlab generate runs/bench/names --condition Korean --n 8 --temperature 0.8 "
                "--seed 1",
                10,
            ),
            ("seqlab predict runs/demo/topics --input runs/demo/questions.txt", 6),
            ("seqlab predict runs/classify/sms --input runs/tour/sms.txt", 6),
            ("printf 'hello\\nwhat is your name\\n' | seqlab chat runs/demo/chatbot --beam 5", 6),
        ],
        "Generation feeds each output back as the next input (one prime or one condition "
        "vector in, a sequence out); the classifiers read a whole text and emit one label with "
        "its probability; the chatbot is the many-to-many encoder-decoder of section 4.",
    ),
    (
        '3. The numeric example: "hello"',
        "h_t = tanh(W_x x_t + W_h h_{t-1} + b), y_t = softmax(W_y h_t); input 'hell', target "
        "'ello'; training feeds the target (teacher forcing), test mode feeds back the output.",
        [
            (
                f"seqlab explain --cell rnn --text hello --hidden-size 4 --seed 0 "
                f"--plot {FIG}/hello.png",
                200,
            )
        ],
        "Before training the predictions are near uniform; after 100 Adam steps the four "
        "predictions are 'ello' and, fed its own output from 'h', the model spells 'hello'. "
        "W_x, W_h and b are the same numbers at every t.",
    ),
    (
        "4. Sequence-to-sequence",
        "The encoder compresses the source into a context vector; the decoder starts from "
        "<sos>, is fed the target while training (teacher forcing) and its own output at test "
        "time, and stops at <eos>.",
        [
            ("seqlab translate runs/demo/chatbot --beam 5 --n-best 3 'how are you'", 6),
            (f"seqlab evaluate {S2S_ATT} --src {M30K}/val.en.gz --ref {M30K}/val.fr.gz", 6),
            (f"seqlab translate {S2S_ATT} --beam 5 'A man in a blue shirt is riding a bike.'", 4),
        ],
        "Beam search keeps the k best partial translations; `--n-best` shows the runners-up "
        "with their scores. The tests prove beam 1 equals greedy and that a sentence decodes "
        "the same alone or inside a batch of 32.",
    ),
    (
        "5. Parameter counting",
        "embedding(5000,100) -> SimpleRNN(128) -> Dense(1) has 529,441 parameters, and a "
        "sequence length of 30 changes nothing because the weights are shared over time.",
        [
            ('seqlab params "embedding(5000,100) rnn(128) dense(1)" --seq-len 30', 30),
            ('seqlab params "embedding(10000,128) bilstm(256) lstm(256) dense(10)"', 30),
        ],
        "Keras keeps one bias per gate block, PyTorch/cuDNN two (b_ih and b_hh), hence 529,441 "
        "against 529,569. The PyTorch column is checked in the tests against sum(p.numel()) of "
        "the model seqlab builds from the same spec.",
    ),
    (
        "6. Tokenizing and embedding: one-hot against Word2Vec",
        "One-hot makes 'dog' index 4 of 10,000 with no notion of similarity; Word2Vec gives "
        "dense vectors (negative values allowed) where dog sits near cat.",
        [
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
        ],
        "Between different words the one-hot cosine is always 0; the Word2Vec cosine ranks "
        "weekdays together and finance words together, learned from 887k words of PTB in "
        "seconds. docs/benchmarks.md has the analogy and WS-353 scores.",
    ),
    (
        "7. The two limitations",
        "(1) Compressing everything into one fixed-size vector loses information; (2) gradients "
        "vanish because sigmoid' <= 0.25 (and tanh' <= 1) multiply over time.",
        [
            (
                "seqlab diagnose gradients --cells rnn,lstm,gru --length 100 --train-steps 300 "
                f"--plot {FIG}/tour_gradients.png",
                24,
            ),
            (
                f"seqlab diagnose bottleneck {S2S_NONE} {S2S_ATT} {S2S_LUONG} "
                f"--src {M30K}/val.en.gz --ref {M30K}/val.fr.gz --plot {FIG}/bottleneck.png",
                10,
            ),
        ],
        "The gradient reaching h_0 from a loss at t=99 is tens of orders of magnitude below the "
        "one at h_99 for the plain RNN; the adding problem in docs/benchmarks.md shows the "
        "consequence (plain RNN at the trivial baseline from T=50, LSTM and GRU below 0.01 MSE "
        "up to T=200). The bottleneck table scores a model without attention and two with it "
        "(Bahdanau, Luong), trained for the same 20 CPU-minutes, on the same sentences, "
        "bucketed by source length.",
    ),
    (
        "8. Attention",
        "The remedy the lecture names for the bottleneck: the decoder looks back at every "
        "encoder state instead of one context vector.",
        [
            (
                f"seqlab translate {S2S_ATT} --beam 5 --attention-plot {FIG}/attention.png "
                "'A little girl is climbing into a wooden playhouse.'",
                4,
            )
        ],
        "Each row of the heatmap is one output token's attention over the source tokens; "
        "padding is masked, so the weights on real tokens sum to 1.",
    ),
]


def run(cmd: str, max_lines: int) -> str:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "120"}
    start = time.monotonic()
    missing = [
        t
        for t in shlex.split(cmd)
        if t.startswith(("runs/", "../shared/"))
        and not t.startswith(("runs/tour/", "runs/demo/"))
        and not Path(REPO, t).exists()
    ]
    if missing:
        return f"(not run here: {missing[0]} is missing; run the benchmarks in bench/ first)"
    proc = subprocess.run(cmd, shell=True, cwd=REPO, env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    out = (proc.stdout + proc.stderr).rstrip().splitlines()
    out = [line for line in out if "\r" not in line]  # drop progress-bar redraws
    if len(out) > max_lines:
        out = out[: max_lines - 1] + ["..."]
    if proc.returncode:
        out.append(f"[exit status {proc.returncode}]")
    print(f"  {cmd[:80]}  ({took:.1f}s)", file=sys.stderr)
    return "\n".join(out)


def previous_sections(path: Path) -> dict[str, str]:
    """Title -> Markdown block ("## title" up to the next section) of an existing tour."""
    if not path.exists():
        return {}
    blocks = path.read_text().split("\n## ")[1:]
    return {b.split("\n", 1)[0]: "## " + b.rstrip("\n") for b in blocks}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "tour.md")
    ap.add_argument(
        "--only",
        default="",
        help="comma-separated section numbers to rerun; the others are kept from --out",
    )
    args = ap.parse_args()
    only = {int(x) for x in args.only.split(",") if x.strip()}
    old = previous_sections(args.out) if only else {}
    (REPO / FIG).mkdir(parents=True, exist_ok=True)
    (REPO / "runs" / "tour").mkdir(parents=True, exist_ok=True)
    (REPO / "runs" / "tour" / "sms.txt").write_text(
        "Congratulations! You have won a free cruise. Call 09061701461 now to claim\n"
        "are we still on for dinner tonight?\n"
    )
    parts = [
        "# A tour of seqlab, following the lecture",
        "",
        "Each section takes one topic of the lecture note (the RNN language-model chapter), "
        "gives the exact command, its real output, and what to notice. Regenerate with "
        "`python scripts/make_tour.py` after `make demo`.",
    ]
    for number, (title, topic, commands, notice) in enumerate(SECTIONS, start=1):
        if only and number not in only and title in old:
            parts += ["", old[title]]
            continue
        print(title, file=sys.stderr)
        parts += ["", f"## {title}", "", f"*The lecture:* {topic}", ""]
        for cmd, max_lines in commands:
            parts += ["```console", f"$ {cmd}", run(cmd, max_lines), "```", ""]
            for token in shlex.split(cmd):
                if token.startswith(FIG) and token.endswith(".png"):
                    parts += [f"![{Path(token).stem}]({Path(token).relative_to('docs')})", ""]
        parts += [f"*What to notice:* {notice}"]
    args.out.write_text("\n".join(parts) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
