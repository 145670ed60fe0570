"""An ensemble of taggers: the members' mean emissions, decoded as one tagger's.

    emissions = (emissions_1 + ... + emissions_N) / N              (B, T, K), before Viterbi
    CRF       = the members' mean start, end and transition scores

With a CRF, a tag sequence's score under the ensemble is then the mean of its scores under the
members, and Viterbi finds the sequence best on average. Without a CRF (softmax taggers) each
token takes the argmax of the mean emissions. Members must all have a CRF or all have none.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torchcrf import CRF

from seqlab.errors import SeqlabError
from seqlab.models.tagger import SequenceTagger, decode_tags


def mean_crf(crfs: Sequence[CRF]) -> CRF:
    """A CRF whose start, end and transition scores are the means of ``crfs``'."""
    first = crfs[0]
    out = CRF(first.num_tags, batch_first=True).to(first.transitions.device)
    with torch.no_grad():
        for name in ("start_transitions", "end_transitions", "transitions"):
            mean = torch.stack([c.get_parameter(name) for c in crfs]).mean(0)
            out.get_parameter(name).copy_(mean)
    return out


class TaggerEnsemble(nn.Module):
    """Taggers with the same vocabularies and tag set, answering as one (module docstring).

    Args:
        members: :class:`~seqlab.models.tagger.SequenceTagger` models (at least one).
    """

    def __init__(self, members: Sequence[SequenceTagger]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one model")
        with_crf = [m.crf is not None for m in members]
        if any(with_crf) and not all(with_crf):
            raise SeqlabError(
                "--ensemble: taggers with a CRF (output: crf) and taggers without one (output: "
                "softmax) cannot be ensembled"
            )
        self.members = nn.ModuleList(members)
        self.num_tags = members[0].num_tags
        readers = [m.chars for m in members if m.chars is not None]
        #: the members' character feature modules, or None when no member reads characters
        self.chars = nn.ModuleList(readers) if readers else None
        self.crf = mean_crf([m.crf for m in members]) if all(with_crf) else None

    def forward(self, tokens: Tensor, lengths: Tensor, chars: Tensor | None = None) -> Tensor:
        """tokens (B, T), lengths (B,), chars (B, T, C) or None -> mean emissions (B, T, K)."""
        outs = [m(tokens, lengths, chars) for m in self.members]
        return torch.stack([o.float() for o in outs]).mean(0)

    def decode(self, emissions: Tensor, lengths: Tensor) -> list[list[int]]:
        """The best tag ids per sentence of the mean emissions (Viterbi with the mean CRF)."""
        return decode_tags(self.crf, emissions, lengths)
