"""Analogies, similarity, neighbours, the one-hot comparison and plots on small known vectors."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from gensim.models import KeyedVectors
from scipy.stats import spearmanr

from seqlab.analysis.word_vectors import (
    compare,
    default_eval_file,
    evaluate_analogies,
    evaluate_similarity,
    neighbors,
    plot,
    project_2d,
)
from seqlab.errors import SeqlabError

# axes: person, male, female, royal, place
WORDS = {
    "man": [1, 1, 0, 0, 0],
    "woman": [1, 0, 1, 0, 0],
    "king": [1, 1, 0, 1, 0],
    "queen": [1, 0, 1, 1, 0],
    "boy": [0.5, 1, 0, 0, 0],
    "girl": [0.5, 0, 1, 0, 0],
    "paris": [0, 0, 0, 0.2, 1],
    "france": [0, 0, 0, 0.5, 1],
}


@pytest.fixture
def kv() -> KeyedVectors:
    out = KeyedVectors(5)
    out.add_vectors(list(WORDS), np.array(list(WORDS.values()), dtype=np.float32))
    return out


ANALOGIES = """\
: family
Man Woman King Queen
man woman boy girl
man king woman paris
man woman king unicorn
this line has six words
: gram-places
paris france paris france
"""


def test_analogy_accuracy_coverage_and_skipped_lines(kv, tmp_path):
    p = tmp_path / "questions.txt"
    p.write_text(ANALOGIES)
    result = evaluate_analogies(kv, p, lowercase=True)
    family, places = result.sections
    assert (family.name, family.correct, family.covered, family.total) == ("family", 2, 3, 4)
    assert family.accuracy == pytest.approx(2 / 3) and family.coverage == pytest.approx(3 / 4)
    assert (places.correct, places.covered) == (0, 1)  # a, b, c never count as the answer
    assert (result.total.correct, result.total.covered, result.total.total) == (2, 4, 5)
    assert result.malformed == 1 and result.malformed_lines == [6]
    assert "| syntactic | 0.0% | 0 / 1 |" in result.table()
    case_kept = evaluate_analogies(kv, p, lowercase=False)
    assert case_kept.sections[0].covered == 2  # "Man Woman King Queen" is not in the vectors


def test_malformed_line_fails_with_file_and_line(kv, tmp_path):
    p = tmp_path / "questions.txt"
    p.write_text(ANALOGIES)
    with pytest.raises(SeqlabError, match=r"questions\.txt:6: expected 4 words 'a b c d', got 5"):
        evaluate_analogies(kv, p, on_malformed="fail")
    with pytest.raises(SeqlabError, match="on_malformed"):
        evaluate_analogies(kv, p, on_malformed="ignore")


def test_analogies_agree_with_gensim(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    kv = KeyedVectors(8)
    kv.add_vectors(words, rng.normal(size=(40, 8)).astype(np.float32))
    # plant some true analogies so that accuracy is neither 0 nor 1
    kv.vectors[3] = kv.vectors[1] - kv.vectors[0] + kv.vectors[2]
    lines = [": s"] + [" ".join(rng.choice(words, 4, replace=False)) for _ in range(60)]
    lines += ["w0 w1 w2 w3", "w0 w1 w2 w3", "w0 w1 w2 nope"]
    p = tmp_path / "q.txt"
    p.write_text("\n".join(lines) + "\n")
    ours = evaluate_analogies(kv, p)
    score, sections = kv.evaluate_word_analogies(str(p))
    theirs = sections[-1]
    assert ours.total.correct == len(theirs["correct"]) >= 2
    assert ours.total.covered == len(theirs["correct"]) + len(theirs["incorrect"]) == 62


def test_similarity_spearman_and_coverage(kv, tmp_path):
    pairs = [
        ("man", "woman"),
        ("king", "queen"),
        ("boy", "paris"),
        ("girl", "france"),
        ("man", "king"),
    ]
    scores = [3.0, 9.5, 1.0, 7.0, 2.0]
    lines = ["# a comment", "# Word 1\tWord 2\tHuman"]
    lines += [f"{a}\t{b}\t{s}" for (a, b), s in zip(pairs, scores, strict=True)]
    lines += ["Man\tunicorn\t5.0", "broken line"]
    p = tmp_path / "ws.tsv"
    p.write_text("\n".join(lines) + "\n")
    result = evaluate_similarity(kv, p)
    expected = spearmanr(scores, [kv.similarity(a, b) for a, b in pairs]).statistic
    assert result.spearman == pytest.approx(expected)
    assert (result.covered, result.total, result.malformed) == (5, 6, 1)
    assert "5 of 6 pairs" in result.line()
    with pytest.raises(SeqlabError, match=r"ws\.tsv:9: expected 'word1<TAB>word2<TAB>score'"):
        evaluate_similarity(kv, p, on_malformed="fail")


def test_similarity_with_scores_in_cosine_order_is_perfect(kv, tmp_path):
    pairs = [("man", "woman"), ("king", "queen"), ("boy", "paris"), ("girl", "france")]
    p = tmp_path / "ws.tsv"
    p.write_text("".join(f"{a}\t{b}\t{10 * kv.similarity(a, b):.4f}\n" for a, b in pairs))
    assert evaluate_similarity(kv, p).spearman == pytest.approx(1.0)


def test_neighbors_sorted_without_the_word_itself(kv):
    near = neighbors(kv, ["king"], k=3)["king"]
    assert len(near) == 3 and "king" not in [w for w, _ in near]
    cosines = [c for _, c in near]
    assert cosines == sorted(cosines, reverse=True)
    assert near[0][1] == pytest.approx(kv.similarity("king", near[0][0]))
    with pytest.raises(SeqlabError, match="'dragon'"):
        neighbors(kv, ["king", "dragon"])


def test_compare_one_hot_is_identity_but_word2vec_is_not(kv):
    words = ["king", "queen", "paris", "king"]
    cmp = compare(kv, words)
    expected_one_hot = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]])
    np.testing.assert_allclose(cmp.one_hot, expected_one_hot, atol=1e-6)
    assert cmp.word2vec[0, 1] == pytest.approx(kv.similarity("king", "queen"), abs=1e-6)
    assert cmp.word2vec[0, 1] > cmp.word2vec[0, 2]  # king is nearer queen than paris
    assert "one-hot cosine" in cmp.table() and "word2vec cosine" in cmp.table()


def test_pca_plot_writes_png(kv, tmp_path):
    out = plot(kv, list(WORDS), tmp_path / "plots" / "w.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SeqlabError, match="at least 2 words"):
        plot(kv, ["king"], tmp_path / "x.png")


def test_pca_keeps_the_direction_of_largest_spread():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 4)) * np.array([10.0, 1.0, 0.1, 0.1])
    projected = project_2d(points, "pca")
    assert projected.shape == (50, 2)
    assert projected[:, 0].var() > 50 * projected[:, 1].var() / 10
    assert abs(np.corrcoef(projected[:, 0], points[:, 0])[0, 1]) > 0.99


def test_tsne_without_scikit_learn_is_a_clear_error(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(SeqlabError, match="t-SNE needs scikit-learn"):
        project_2d(np.zeros((5, 3)), "tsne")
    with pytest.raises(SeqlabError, match="unknown projection"):
        project_2d(np.zeros((5, 3)), "umap")


def test_default_files_are_found():
    assert default_eval_file("questions-words.txt").is_file()
    assert default_eval_file("wordsim353.tsv").is_file()
    with pytest.raises(SeqlabError, match="cannot find"):
        default_eval_file("no-such-file.txt")
