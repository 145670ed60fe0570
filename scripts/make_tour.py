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

# (title, lecture topic, [(command, max_lines)], what to notice)
SECTIONS: list[tuple[str, str, list[tuple[str, int]], str]] = [
    (
        "1. Sequence model and memory cell",
        "An RNN reads x_1..x_t and keeps a hidden state h_t in a memory cell; the same function "
        "(the same weights) is applied at every t, which is what makes it recurrent.",
        [("seqlab explain --cell lstm --text hello --hidden-size 4 --seed 0 --steps 0", 24)],
        "The LSTM's memory cell is four gates (i, f, g, o) computed from x_t and h_{t-1}; c_t "
        "carries the memory and h_t = o * tanh(c_t) is what the next step and the output see. "
        "The numbers come from seqlab's explicit cells run on the fused layer's own parameters, "
        "and the last line checks the two paths agree.",
    ),
    (
        "2. The numeric example: \"hello\"",
        "h_t = tanh(W_x x_t + W_h h_{t-1} + b), y_t = softmax(W_y h_t); input 'hell', target "
        "'ello'; training feeds the target (teacher forcing), test mode feeds back the output.",
        [(f"seqlab explain --cell rnn --text hello --hidden-size 4 --seed 0 "
          f"--plot {FIG}/hello.png", 200)],
        "Before training the predictions are near uniform; after 100 Adam steps the four "
        "predictions are 'ello' and, fed its own output from 'h', the model spells 'hello'. "
        "W_x, W_h and b are the same numbers at every t.",
    ),
    (
        "3. Parameter counting",
        "embedding(5000,100) -> SimpleRNN(128) -> Dense(1) has 529,441 parameters, and a "
        "sequence length of 30 changes nothing because the weights are shared over time.",
        [('seqlab params "embedding(5000,100) rnn(128) dense(1)" --seq-len 30', 30),
         ('seqlab params "embedding(10000,128) bilstm(256) lstm(256) dense(10)"', 30)],
        "Keras keeps one bias per gate block, PyTorch/cuDNN two (b_ih and b_hh), hence 529,441 "
        "against 529,569. The PyTorch column is checked in the tests against sum(p.numel()) of "
        "the model seqlab builds from the same spec.",
    ),
]


def run(cmd: str, max_lines: int) -> str:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "120"}
    start = time.monotonic()
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "tour.md")
    args = ap.parse_args()
    (REPO / FIG).mkdir(parents=True, exist_ok=True)
    parts = [
        "# A tour of seqlab, following the lecture",
        "",
        "Each section takes one topic of the lecture note (the RNN language-model chapter), "
        "gives the exact command, its real output, and what to notice. Regenerate with "
        "`python scripts/make_tour.py` after `make demo`.",
    ]
    for title, topic, commands, notice in SECTIONS:
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
