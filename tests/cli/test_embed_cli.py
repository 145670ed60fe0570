"""seqlab embed: train, eval, neighbors, compare, plot through the real command line."""

from __future__ import annotations

import random

import pytest

from seqlab.cli import main

ANIMALS = ["dog", "cat", "horse", "cow"]
VEHICLES = ["car", "truck", "bus", "van"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("embed")
    rng = random.Random(0)
    corpus = d / "corpus.txt"
    with open(corpus, "w") as f:
        for _ in range(400):
            group = rng.choice([ANIMALS, VEHICLES])
            f.write(" ".join(rng.choice(group) for _ in range(8)).title() + "\n")
    out = d / "vec"
    main(
        [
            "embed",
            "train",
            str(corpus),
            "--out",
            str(out),
            "--dim",
            "12",
            "--min-count",
            "1",
            "--epochs",
            "3",
            "--workers",
            "1",
            "--binary",
            "--lowercase",
            "--no-progress",
        ]
    )
    return d, out


def _run(capsys, *args: str) -> str:
    main(["embed", *args])
    return capsys.readouterr().out


def test_train_writes_all_formats(trained):
    d, out = trained
    for suffix in (".safetensors", ".txt", ".bin"):
        assert (d / f"vec{suffix}").is_file()
    assert not (d / "vec.kv").exists()  # no pickle unless asked for


def test_train_prints_speed(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b c\n" * 20)
    text = _run(
        capsys,
        "train",
        str(corpus),
        "--out",
        str(tmp_path / "v"),
        "--cbow",
        "--hs",
        "--min-count",
        "1",
        "--epochs",
        "1",
        "--no-progress",
    )
    assert "words/s" in text and f"wrote {tmp_path / 'v.safetensors'}" in text


def _matrix(text: str, title: str) -> tuple[list[str], list[list[float]]]:
    """(column words, rows of numbers) of the cosine matrix titled ``title``."""
    lines = text.split(title + "\n", 1)[1].split("\n\n")[0].splitlines()
    words = lines[0].split()
    rows = [line.split() for line in lines[1:]]
    assert [r[0] for r in rows] == words  # rows and columns name the same words
    return words, [[float(x) for x in r[1:]] for r in rows]


def test_neighbors_and_compare(trained, capsys):
    _, out = trained
    text = _run(capsys, "neighbors", f"{out}.safetensors", "dog", "car", "--k", "3")
    dog_line = next(line for line in text.splitlines() if line.startswith("dog:"))
    assert len(dog_line.split(",")) == 3
    vocabulary = {w.lower() for w in ANIMALS + VEHICLES}  # the corpus, lowercased
    for line in text.splitlines():
        word, near = line.split(": ")
        pairs = [item.rsplit(" ", 1) for item in near.split(", ")]
        assert {n for n, _ in pairs} <= vocabulary - {word}  # real words, never the query
        cosines = [float(c) for _, c in pairs]
        assert cosines == sorted(cosines, reverse=True) and all(-1 <= c <= 1 for c in cosines)
    text = _run(capsys, "compare", f"{out}.bin", "dog", "cat", "car")
    assert "one-hot cosine" in text and "word2vec cosine" in text
    assert "   dog  1.00   0.00   0.00" in text
    for title in ("one-hot cosine", "word2vec cosine"):
        words, m = _matrix(text, title)
        assert words == ["dog", "cat", "car"]
        assert all(m[i][j] == m[j][i] for i in range(3) for j in range(3))  # symmetric
        assert [m[i][i] for i in range(3)] == [1.0, 1.0, 1.0]
        assert all(-1 <= x <= 1 for row in m for x in row)
    _, one_hot = _matrix(text, "one-hot cosine")
    assert all(one_hot[i][j] == 0 for i in range(3) for j in range(3) if i != j)


@pytest.mark.parametrize("suffix", [".safetensors", ".txt"])
def test_eval_with_own_files(trained, tmp_path, capsys, suffix):
    _, out = trained
    analogies = tmp_path / "q.txt"
    analogies.write_text(": pets\ndog cat cow horse\ndog cat cow dragon\nbad line\n")
    similarity = tmp_path / "ws.tsv"
    similarity.write_text("# header\ndog\tcat\t9\ndog\tcar\t1\ncat\tbus\t2\n")
    files = ["--analogies", str(analogies), "--similarity", str(similarity)]
    text = _run(capsys, "eval", f"{out}{suffix}", *files)
    assert "| pets |" in text and "1 / 1 | 50.0% of 2 |" in text
    assert "skipped 1 malformed lines (first at lines 4)" in text
    assert "Spearman" in text and "3 of 3 pairs" in text
    with pytest.raises(SystemExit) as e:
        main(
            ["embed", "eval", f"{out}.txt", "--analogies", str(analogies), "--on-malformed", "fail"]
        )
    assert e.value.code == 2
    assert "q.txt:4: expected 4 words" in capsys.readouterr().err


def test_convert_between_formats(trained, tmp_path, capsys):
    _, out = trained
    text = _run(capsys, "convert", f"{out}.safetensors", "--out", str(tmp_path / "v.txt"))
    assert f"wrote {tmp_path / 'v.txt'}" in text
    _run(capsys, "convert", str(tmp_path / "v.txt"), "--out", str(tmp_path / "v2"), "--to", "glove")
    again = _run(capsys, "neighbors", str(tmp_path / "v2"), "dog", "--k", "3")
    assert again == _run(capsys, "neighbors", f"{out}.safetensors", "dog", "--k", "3")


def test_plot(trained, tmp_path, capsys):
    _, out = trained
    png = tmp_path / "p.png"
    words = "dog,cat,car,bus"
    text = _run(capsys, "plot", f"{out}.safetensors", "--words", words, "--out", str(png))
    assert png.read_bytes()[:4] == b"\x89PNG" and str(png) in text


@pytest.mark.parametrize(
    "args,message",
    [
        (["neighbors", "{out}.safetensors", "unicorn"], "not in the vectors"),
        (["compare", "{out}.txt", "dog", "Dog"], "'Dog'"),
        (
            ["plot", "{out}.safetensors", "--words", "dog,cat", "--out", "x.png"]
            + ["--method", "umap"],
            "unknown projection",
        ),
        (["neighbors", "{out}.missing", "dog"], "no such vectors file"),
    ],
)
def test_errors_exit_2_with_one_line(trained, capsys, args, message):
    _, out = trained
    with pytest.raises(SystemExit) as e:
        main(["embed", *[a.format(out=out) for a in args]])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
