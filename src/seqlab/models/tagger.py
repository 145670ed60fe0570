"""A many-to-many (synchronous) tagger: one tag per input token.

    tokens (B, T) --embed--> (B, T, E) --+-- [char features (B, T, F)] [casing (B, T, Ec)]
             --> (B, T, E+F+Ec) --BiLSTM--> (B, T, 2H) --linear--> emissions (B, T, K)

Two output layers:

    softmax  each position's tag is chosen alone: argmax of its K scores
    crf      a linear-chain CRF adds a learned score for every tag -> tag transition, so
             "I-PER after B-LOC" can be ruled out; decoding finds the best whole sequence
             (Viterbi). The CRF's parameters live here; the task computes its loss

``forward`` returns emissions (the logits of the softmax tagger); ``decode`` picks the tags. At
inference a sentence longer than ``chunk_steps`` is read in chunks (:mod:`seqlab.nn.chunked`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchcrf import CRF

from seqlab.nn.case_features import CaseFeatures
from seqlab.nn.char_features import build_char_features
from seqlab.nn.chunked import CHUNK_STEPS, chunked_forward, chunking_applies
from seqlab.nn.masks import key_padding_mask
from seqlab.nn.stack import EmbeddingChoice, RecurrentShape, embed_and_recur

OUTPUTS = ("softmax", "crf")


lengths_mask = key_padding_mask  # lengths (B,), T -> bool mask (B, T), True at real tokens


class SequenceTagger(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        num_tags: int,
        rnn: RecurrentShape,
        *,
        embedding: EmbeddingChoice = EmbeddingChoice(),
        output: str = "crf",
        num_chars: int = 0,
        char_features: str = "none",
        char_embedding_dim: int = 25,
        char_hidden_size: int = 25,
        char_kernel_size: int = 3,
        case_alphabet: list[str] | None = None,
        case_embedding_dim: int = 8,
    ):
        """``case_alphabet``: the character vocabulary (id -> character), given to add casing
        features (:mod:`seqlab.nn.case_features`), which need char features too."""
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}; expected one of {', '.join(OUTPUTS)}")
        sizes = {"char_embedding_dim": char_embedding_dim, "char_hidden_size": char_hidden_size}
        chars = build_char_features(char_features, num_chars, **sizes, kernel_size=char_kernel_size)
        case = None
        if case_alphabet is not None:
            if chars is None:
                raise ValueError("casing features read the characters: set char_features too")
            case = CaseFeatures(case_alphabet, case_embedding_dim)
        extra = sum(m.output_size for m in (chars, case) if m is not None)
        front = embed_and_recur(vocab_size, rnn, extra_input=extra, embedding=embedding)
        self.embedding, self.chars, self.rnn = front[0], chars, front[1]  # the checkpoint's order
        self.case = case
        self.dropout = nn.Dropout(rnn.dropout)
        self.output = nn.Linear(self.rnn.output_size, num_tags)
        self.crf = CRF(num_tags, batch_first=True) if output == "crf" else None
        self.num_tags = num_tags
        self.chunk_steps = CHUNK_STEPS  # a plain attribute: 0 never chunks

    def forward(self, tokens: Tensor, lengths: Tensor, chars: Tensor | None = None) -> Tensor:
        """tokens (B, T), lengths (B,), chars (B, T, C) or None -> emissions (B, T, K)."""
        x = self.embedding(tokens)  # (B, T, E)
        if self.chars is not None:
            if chars is None:
                raise ValueError("this tagger reads characters: pass chars (B, T, C)")
            parts = [x, self.chars(chars)] + ([self.case(chars)] if self.case is not None else [])
            x = torch.cat(parts, dim=-1)  # (B, T, E+F[+Ec])
        x = self.dropout(x)
        if chunking_applies(self.rnn, x, self.chunk_steps):
            out, _ = chunked_forward(self.rnn, x, lengths, self.chunk_steps)  # (B, T, D*H)
        else:
            out, _ = self.rnn(x, lengths)  # (B, T, D*H)
        return self.output(self.dropout(out))  # (B, T, K)

    def decode(self, emissions: Tensor, lengths: Tensor) -> list[list[int]]:
        """The best tag ids per sentence (Viterbi with a CRF, per-token argmax without)."""
        return decode_tags(self.crf, emissions, lengths)


@torch.no_grad()
def decode_tags(crf: CRF | None, emissions: Tensor, lengths: Tensor) -> list[list[int]]:
    """emissions (B, T, K), lengths (B,) -> the best tag ids of each sentence: Viterbi through
    the CRF's transitions, or each token's argmax without a CRF."""
    mask = lengths_mask(lengths.to(emissions.device), emissions.shape[1])  # (B, T)
    if crf is not None:
        return crf.decode(emissions.float(), mask=mask)
    best = emissions.argmax(-1)  # (B, T)
    return [row[:n].tolist() for row, n in zip(best, lengths.tolist(), strict=True)]
