"""Write docs/tour.md and docs/tour.ko.md: the lecture, section by section, as commands with
their real output, in English and in Korean.

Run after `make demo` (some sections use the demo's trained runs under runs/demo/):

    python scripts/make_tour.py [--lang en|ko|both] [--only N] [--reuse] [--check]

Every output block below a command is what that command printed when this script ran; figures
are written to docs/figures/. Long outputs are cut (marked with an ellipsis line). Both tours come
from one run: a command they share runs once and prints the same block in each. The Korean text
(sections, headings, and a glossary at the end) is in scripts/tour_ko.py. The same text, around
Python code cells, makes notebooks/tour.en.ipynb and notebooks/tour.ko.ipynb
(scripts/make_notebooks.py): after changing a section here or in tour_ko.py, run that too
(tests/docs/test_notebooks.py checks it).

--lang en or ko runs the commands of that tour only (those it shares with the other included)
and keeps every other command's stored output; both tours are always written, so the two never
disagree. --only N,M reruns the commands of those sections and keeps every other command's
output from the tours already written; --reuse keeps them all and runs only commands that have
none yet; --check runs nothing and fails unless both tours are exactly what their text here and
their stored outputs make (tests/docs/test_tour.py). A command whose run directory or data is
missing keeps its stored output, or is listed with a note when it has none. A `seqlab train`
into runs/tour/ starts from an empty run directory each time it runs.

A command that reads a run directory stores, after its output, the hash of the checkpoint it
loaded (scripts/tour_check.py), so that --check fails when a run directory now holds another
checkpoint than the output came from (the fix: --only N, which reruns it) and, where the run
directory is absent, as on CI, skips that comparison. A kept output keeps its stored hash; an
output with no hash for a run directory that is here counts as no output at all, so --reuse and
--only rerun it (unless another run or data it needs is missing: then it is kept, unhashed).
--check also fails when two outputs quote one run with different numbers (a run's BLEU in
`seqlab evaluate` and in `seqlab diagnose bottleneck`, on the same data).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import tour_ko
from tour_check import (
    Output,
    Place,
    checkpoint_hashes,
    comment,
    conflicting_numbers,
    lacks_hash,
    parse_comment,
    stale_checkpoints,
)
from tour_commands import (
    FIG,
    M30K,
    PARAMS,
    S2S_ATT,
    S2S_LUONG,
    S2S_NONE,
    TRANSFORMER,
    WORD_VECTORS,
)

REPO = Path(__file__).resolve().parent.parent

# (title, lecture topic, [(command, max_lines)], what to notice)
SECTIONS: list[tuple[str, str, list[tuple[str, int]], str]] = [
    (
        "1. Sequence model and memory cell",
        "An RNN reads x_1..x_t and keeps a hidden state h_t in a memory cell; the same function "
        "(the same weights) is applied at every t, which is what makes it recurrent.",
        [("seqlab explain --cell lstm --text hello --hidden-size 4 --seed 0 --steps 0", 22)],
        "The LSTM memory cell computes four vectors from x_t and h_{t-1}: three gates, i "
        "(input), f (forget) and o (output), and g, the candidate value that the input gate "
        "lets into the cell; c_t = f * c_{t-1} + i * g carries the memory and h_t = "
        "o * tanh(c_t) is what the next step and the output see. "
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
        "its probability; the chatbot is a many-to-many encoder-decoder, the model section 4 "
        "decodes with a beam.",
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
        "W_x, W_h and b are the same numbers at every t. The point of the example is the two "
        "'l's: at t=2 the next character is 'l', at t=3 it is 'o'. The input is the same, so "
        "W_x·x_t is the same; only W_h·h_{t-1}, the memory of what came before, tells the two "
        "steps apart, which is why the network needs a memory cell.",
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
        "with their scores: not log-probabilities but length-normalised ones, the summed "
        "log-probability divided by ((5 + length) / 6)^0.6 (`--length-penalty gnmt`, the "
        "default), so that longer answers are not ranked down for their length. The second "
        "and third commands use a different model, a Multi30k English->French translator "
        "trained on its own. The tests prove beam 1 equals greedy and that a sentence decodes "
        "the same alone or inside a batch of 32.",
    ),
    (
        "5. Parameter counting",
        "embedding(5000,100) -> SimpleRNN(128) -> Dense(1) has 529,441 parameters, and a "
        "sequence length of 30 changes nothing because the weights are shared over time.",
        PARAMS,
        "Keras keeps one bias per gate block, PyTorch/cuDNN two (b_ih and b_hh), hence 529,441 "
        "against 529,569. The PyTorch column is checked in the tests against sum(p.numel()) of "
        "the model seqlab builds from the same spec.",
    ),
    (
        "6. Tokenizing and embedding: one-hot against Word2Vec",
        "One-hot makes 'dog' index 4 of 10,000 with no notion of similarity; Word2Vec gives "
        "dense vectors (negative values allowed) where dog sits near cat.",
        [
            *WORD_VECTORS,
        ],
        "Between different words the one-hot cosine is always 0; the Word2Vec cosine ranks "
        "weekdays together and finance words together, learned from PTB in seconds. The "
        "918,461 corpus tokens are one pass over PTB's 887,521 words as seqlab's word "
        "tokenizer cuts them (it splits 's and a.m., for one), and training reads that pass 5 "
        "times (--epochs 5). docs/benchmarks.md has the analogy and WS-353 scores.",
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
        "The gradient reaching the first input x_0 from a loss at t=99 is tens of orders of "
        "magnitude below the one at x_99 for the plain RNN; the adding problem in "
        "docs/benchmarks.md shows the consequence (plain RNN at the trivial baseline from "
        "T=50, LSTM and GRU below 0.01 MSE up to T=200). The bottleneck table scores a model "
        "without attention and two with it (Bahdanau, Luong), each trained for 20 minutes, "
        "on the same sentences, bucketed by source length. The runs shown trained on one "
        "thread each, two at a time on a machine doing other work, so they got different "
        "numbers of steps (none 2,179, Bahdanau 1,227, Luong 2,996; `make tour-runs` trains "
        "them one at a time on 2 threads). The model with only the context vector is the "
        "lowest at every length and falls to 2.5 BLEU at 26 words or more.",
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
    (
        "9. The way out: attention without recurrence",
        "When sentences grow long the past is forgotten, and the lecture's last lines name the "
        "answer: apply attention instead of the LSTM (the Transformer).",
        TRANSFORMER,
        "Self-attention keeps no state: position t looks back at every position s <= t (the "
        "causal mask hides the rest), so the two 'l's of hello are told apart by their "
        "positions and by what they find behind them, not by h_{t-1}. The path from any token "
        "to any later one is one attention step long, and the gradient table shows it: the "
        "ratio of ||dL/dx_t|| at t=0 to t=99 is about 1e-2 for the Transformer, against 1e-9 to "
        "1e-30 for the recurrent cells. The bottleneck table trains no attention, Bahdanau and "
        "the Transformer for the same 4 CPU-minutes each: too short for the Transformer, "
        "whose 500 warm-up steps are longer than the 306 it had; the 20-minute Transformer of "
        "the benchmarks is the last row. Measured at equal budgets on the same machine "
        "(docs/benchmarks.md): on Multi30k en->fr, 20 CPU-minutes, the Transformer (5.9M "
        "parameters) reaches 51.4 greedy BLEU against 50.3 for the Bahdanau LSTM (5.7M); on "
        "tiny-shakespeare, 15 CPU-minutes, the LSTM wins, 1.483 nats/char against 1.601, and "
        "the loss by position inside the window shows the Transformer flat after about 10 "
        "characters of context while the LSTM keeps improving to 128. On PTB the Transformer, "
        "with a full 10,000-word softmax where the LSTM has an adaptive one, trained at a "
        "sixth of the LSTM's tokens/s and reached 291 perplexity against 113. At these sizes on "
        "two "
        "CPU cores the Transformer trains at 0.71x to 0.86x the LSTM's tokens/s and decodes a "
        "sentence at batch 1 at a third of its speed: computing every position at once pays "
        "on wide hardware and long sequences, and does not here.",
    ),
]


@dataclass(frozen=True)
class Tour:
    """One language's tour: where it is written, its heading, and its sections."""

    path: Path
    heading: str
    intro: str
    lecture: str  # the label before each section's lecture topic
    notice: str  # the label before what to notice
    sections: list[tuple[str, str, list[tuple[str, int]], str]]
    glossary: str = ""  # Markdown after the last section (a heading and a table), or none


ENGLISH = Tour(
    REPO / "docs" / "tour.md",
    "A tour of seqlab, following the lecture",
    "Each section takes one topic of the lecture note (the RNN language-model chapter), gives "
    "the exact command, its real output, and what to notice. Regenerate with "
    "`python scripts/make_tour.py` after `make demo`. Sections 2, 4, 6, 7, 8 and 9 also read "
    "the public data sets in `../shared/data` (see its README) or runs that `make demo` does not "
    "make (the Multi30k translators, the SMS classifier, the surname generator): `make "
    "tour-runs` trains those on that data in about two hours on 2 cores. "
    "[한국어판: docs/tour.ko.md](tour.ko.md).",
    "The lecture:",
    "What to notice:",
    SECTIONS,
)
KOREAN = Tour(
    REPO / "docs" / "tour.ko.md",
    tour_ko.HEADING,
    tour_ko.INTRO,
    tour_ko.LECTURE,
    tour_ko.NOTICE,
    tour_ko.SECTIONS,
    tour_ko.glossary(),
)
TOURS = (ENGLISH, KOREAN)


def missing_input(cmd: str) -> str | None:
    """The first run directory or data path ``cmd`` needs that is not here (the runs the tour
    makes itself, under runs/tour/ and runs/demo/, are not checked)."""
    for token in shlex.split(cmd):
        if (
            token.startswith(("runs/", "../shared/"))
            and not token.startswith(("runs/tour/", "runs/demo/"))
            and not Path(REPO, token).exists()
        ):
            return token
    return None


def clear_tour_run(cmd: str) -> None:
    """Remove the run directory a `seqlab train ... --set out_dir=runs/tour/X` would refuse to
    train into a second time."""
    tokens = shlex.split(cmd)
    if tokens[:2] != ["seqlab", "train"]:
        return
    for token in tokens:
        if token.startswith("out_dir=runs/tour/"):
            shutil.rmtree(REPO / token.removeprefix("out_dir="), ignore_errors=True)


def run(cmd: str, max_lines: int) -> Output:
    """What ``cmd`` prints, and the hash of each checkpoint it read."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "120"}
    start = time.monotonic()
    missing = missing_input(cmd)
    if missing:
        return Output(f"(not run here: {missing} is missing; run the benchmarks in bench/ first)")
    clear_tour_run(cmd)
    proc = subprocess.run(  # one stream, so that messages keep their order
        cmd,
        shell=True,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    took = time.monotonic() - start
    out = proc.stdout.rstrip().splitlines()
    out = [line for line in out if "\r" not in line]  # drop progress-bar redraws
    if proc.returncode:
        out.append(f"[exit status {proc.returncode}]")
    print(f"  {cmd[:80]}  ({took:.1f}s)", file=sys.stderr)
    return Output(cut("\n".join(out), max_lines), checkpoint_hashes(REPO, cmd))


def cut(output: str, max_lines: int) -> str:
    """At most ``max_lines`` lines, the last of them an ellipsis when some were left out."""
    lines = output.split("\n")
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + ["..."]
    return "\n".join(lines)


# a command, its output, and the checkpoint hashes line when it has one
BLOCK = re.compile(
    r"^```console\n\$ ([^\n]*)\n(.*?)\n```$(\n<!-- checkpoints: [^\n]* -->$)?",
    re.MULTILINE | re.DOTALL,
)


def stored_outputs(paths: list[Path]) -> dict[str, Output]:
    """Command -> its output block and checkpoint hashes, from the tours already written (the
    first tour wins)."""
    out: dict[str, Output] = {}
    for path in paths:
        if path.exists():
            for cmd, text, hashes in BLOCK.findall(path.read_text(encoding="utf-8")):
                out.setdefault(cmd, Output(text, parse_comment(hashes.strip())))
    return out


def render(tour: Tour, outputs: dict[str, Output]) -> str:
    """The tour's Markdown, each command followed by its output, the hashes of the checkpoints
    it read, and the figures it wrote."""
    parts = [f"# {tour.heading}", "", tour.intro]
    for title, topic, commands, notice in tour.sections:
        parts += ["", f"## {title}", "", f"*{tour.lecture}* {topic}", ""]
        for cmd, max_lines in commands:
            output = outputs[cmd]
            parts += ["```console", f"$ {cmd}", cut(output.text, max_lines), "```"]
            parts += [comment(output.checkpoints)] if output.checkpoints else []
            parts += [""]
            for token in shlex.split(cmd):
                if token.startswith(FIG) and token.endswith(".png"):
                    parts += [f"![{Path(token).stem}]({Path(token).relative_to('docs')})", ""]
        parts += [f"*{tour.notice}* {notice}"]
    if tour.glossary:
        parts += ["", tour.glossary]
    return "\n".join(parts) + "\n"


def commands_in_order(tours: tuple[Tour, ...]) -> list[tuple[int, str, int]]:
    """(section number, command, the most lines any tour shows of it), each command once, in
    the order the tours give them (English first)."""
    seen: dict[str, tuple[int, int]] = {}
    for tour in tours:
        for number, (_, _, commands, _) in enumerate(tour.sections, start=1):
            for cmd, max_lines in commands:
                first, most = seen.get(cmd, (number, 0))
                seen[cmd] = (first, max(most, max_lines))
    return [(number, cmd, most) for cmd, (number, most) in seen.items()]


def places(tours: tuple[Tour, ...]) -> list[Place]:
    """(tour file name, section number, command), each command once, where it first appears
    (the section number --only takes for it)."""
    numbers = {cmd: number for number, cmd, _ in commands_in_order(tours)}
    out: dict[str, Place] = {}
    for tour in tours:
        for _, _, commands, _ in tour.sections:
            for cmd, _ in commands:
                out.setdefault(cmd, (tour.path.name, numbers[cmd], cmd))
    return list(out.values())


def out_of_date(stored: dict[str, Output]) -> bool:
    """Whether a tour is not what its text and the stored outputs make (and say where)."""
    for tour in TOURS:
        commands = [cmd for _, _, cmds, _ in tour.sections for cmd, _ in cmds]
        missing = [cmd for cmd in commands if cmd not in stored]
        if missing:
            print(f"{tour.path.name}: no output for: {missing[0]}", file=sys.stderr)
            return True
        want = render(tour, stored)
        have = tour.path.read_text(encoding="utf-8") if tour.path.exists() else ""
        if want != have:
            diff = difflib.unified_diff(have.splitlines(), want.splitlines(), lineterm="", n=1)
            print(f"{tour.path.name} is out of date; run python scripts/make_tour.py --reuse")
            print("\n".join(list(diff)[:20]))
            return True
    return False


def problems(outputs: dict[str, Output]) -> list[str]:
    """Outputs from another checkpoint than their run directory holds, and runs that two
    outputs quote with different numbers (scripts/tour_check.py)."""
    where = places(TOURS)
    return stale_checkpoints(REPO, where, outputs) + conflicting_numbers(where, outputs)


def check(stored: dict[str, Output]) -> int:
    """0 when both tours are what their text and stored outputs make, every output came from
    the checkpoint its run directory holds (where that is here), and no two outputs quote one
    run with different numbers; else say where not."""
    if out_of_date(stored):
        return 1
    found = problems(stored)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--only",
        default="",
        help="comma-separated section numbers to rerun; the others keep their stored output",
    )
    ap.add_argument("--reuse", action="store_true", help="run only commands with no output yet")
    ap.add_argument("--check", action="store_true", help="run nothing; fail if a tour is stale")
    ap.add_argument(
        "--lang", choices=("en", "ko", "both"), default="both", help="the tour whose commands run"
    )
    args = ap.parse_args()
    tours = {"en": (ENGLISH,), "ko": (KOREAN,), "both": TOURS}[args.lang]
    chosen = {cmd for tour in tours for _, _, commands, _ in tour.sections for cmd, _ in commands}
    only = {int(x) for x in args.only.split(",") if x.strip()}
    stored = stored_outputs([tour.path for tour in TOURS])
    if args.check:
        sys.exit(check(stored))
    (REPO / FIG).mkdir(parents=True, exist_ok=True)
    (REPO / "runs" / "tour").mkdir(parents=True, exist_ok=True)
    (REPO / "runs" / "tour" / "sms.txt").write_text(
        "Congratulations! You have won a free cruise. Call 09061701461 now to claim\n"
        "are we still on for dinner tonight?\n"
    )
    outputs = {}
    start = time.monotonic()
    for number, cmd, max_lines in commands_in_order(TOURS):
        keep = args.reuse or (only and number not in only) or cmd not in chosen
        kept = stored.get(cmd)
        # what cannot run here is kept even without a hash (and --check says it has none)
        if kept and (missing_input(cmd) or (keep and not lacks_hash(REPO, cmd, kept))):
            outputs[cmd] = kept
        else:
            outputs[cmd] = run(cmd, max_lines)
    for tour in TOURS:
        tour.path.write_text(render(tour, outputs), encoding="utf-8")
        print(f"wrote {tour.path}", file=sys.stderr)
    for line in problems(outputs):
        print(f"warning: {line}", file=sys.stderr)
    print(f"took {time.monotonic() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
