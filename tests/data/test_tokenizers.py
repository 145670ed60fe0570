import pytest

from seqlab.data.tokenizers import build_tokenizer, tokenizer_from_dict, word_split
from seqlab.data.vocab import EOS_ID, PAD_ID, SOS_ID, UNK_ID, Vocab
from seqlab.errors import SeqlabError

LINES = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog"] * 30


def test_char_tokenizer_any_unicode_roundtrip():
    tok = build_tokenizer("char")
    text = "한국어 text, émoji 🙂\n"
    assert tok.detokenize(tok.tokenize(text)) == text
    assert "🙂" in tok.tokenize(text)
    again = tokenizer_from_dict(tok.to_dict())
    assert again.tokenize(text) == tok.tokenize(text)


def test_word_split_keeps_markers_and_contractions():
    assert word_split("Don't stop, <unk> N!") == ["Don't", "stop", ",", "<unk>", "N", "!"]
    assert word_split("ABC", lowercase=True) == ["abc"]


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_sentencepiece_roundtrip_from_dict(kind):
    tok = build_tokenizer(kind, LINES, vocab_size=40)
    pieces = tok.tokenize("the cat sat")
    assert tok.detokenize(pieces) == "the cat sat"
    rebuilt = tokenizer_from_dict(tok.to_dict())  # from the saved dict alone
    assert rebuilt.tokenize("the dog and the log") == tok.tokenize("the dog and the log")
    assert rebuilt.kind == kind


def test_unknown_tokenizer_is_a_clear_error():
    with pytest.raises(SeqlabError, match="expected one of char, word, bpe, unigram"):
        build_tokenizer("bytes")


def test_vocab_specials_order_and_unknowns():
    vocab = Vocab.build([["b", "a", "b", "c", "b", "a"]])
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<sos>", "<eos>"]
    assert (PAD_ID, UNK_ID, SOS_ID, EOS_ID) == (0, 1, 2, 3)
    assert vocab.itos[4:] == ["b", "a", "c"]  # by frequency, ties by first occurrence
    assert vocab.encode(["a", "zzz"]) == [5, UNK_ID]
    assert Vocab.from_dict(vocab.to_dict()).stoi == vocab.stoi
    assert len(Vocab.build([["x", "x", "y"]], min_freq=2)) == 5
