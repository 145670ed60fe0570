"""Sequence to sequence: translate a source sentence into a target sentence (or answer a
question: the chatbot is the same task on question/answer pairs).

Data: two aligned files (``train`` + ``train_tgt``), one TSV (``train`` alone, two columns), or
``chatterbot:english``. Without validation data a seeded random ``valid_fraction`` of the pairs
is held out. Tokens: sentencepiece subwords (default), words or characters, per side or
``joint``; saved in the run directory.
Loss: cross-entropy per target token (padding ignored), teacher-forced, optionally with label
smoothing and scheduled sampling. Validation: teacher-forced loss/perplexity and free-running
greedy BLEU, so the gap between the two (exposure bias) is visible.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.batching import BucketedBatches
from seqlab.data.parallel import (
    PairBatch,
    PairStats,
    filter_lengths,
    fits,
    make_batch,
    pad,
    read_aligned_lines,
    sample_pairs,
    split_pairs,
    with_eos,
)
from seqlab.data.tokenizers import Tokenizer
from seqlab.data.vocab import EOS_ID, PAD_ID, SOS_ID, Vocab
from seqlab.decode.loop import decode
from seqlab.decode.search import Hypothesis, max_lengths
from seqlab.decode.strategy import Beam, Greedy, Strategy
from seqlab.errors import SeqlabError
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.transformer_seq2seq import TransformerSeq2Seq
from seqlab.tasks.artifacts import Artifacts
from seqlab.tasks.base import Task
from seqlab.tasks.options import EvaluateOptions, Evaluation, TranslateOptions, Translation
from seqlab.tasks.seq2seq.config import Seq2SeqDataConfig, Seq2SeqModelConfig
from seqlab.tasks.seq2seq.data import build_sides, is_chatbot, leave_out, read_pairs
from seqlab.tasks.seq2seq.metrics import bleu_and_chrf, corpus_bleu, teacher_forced_loss
from seqlab.tasks.seq2seq.model import build_model
from seqlab.tasks.seq2seq.samples import greedy_samples
from seqlab.train.samples import Samples
from seqlab.train.schedule import TeacherForcingSchedule


class Seq2SeqTask(Task):
    name = "seq2seq"
    DataConfig = Seq2SeqDataConfig
    ModelConfig = Seq2SeqModelConfig
    metric_modes = {"loss": "min", "ppl": "min", "bleu": "max"}
    batch_types = ("sentences", "tokens")

    @property
    def serves(self) -> tuple[str, ...]:
        """Both routes; a chatbot (trained on a chatterbot corpus) lists ``chat`` first."""
        return ("chat", "translate") if is_chatbot(self.config.data) else ("translate", "chat")

    def describe(self) -> dict[str, int | list[str]]:
        return {"source": len(self.src_vocab), "target": len(self.tgt_vocab)}

    src_tokenizer: Tokenizer
    tgt_tokenizer: Tokenizer
    src_vocab: Vocab
    tgt_vocab: Vocab

    # -- text <-> ids --------------------------------------------------------------------------
    def src_ids(self, text: str) -> list[int]:
        return self.src_vocab.encode(self.src_tokenizer.tokenize(text))

    def tgt_ids(self, text: str) -> list[int]:
        return self.tgt_vocab.encode(self.tgt_tokenizer.tokenize(text))

    def tgt_text(self, ids: list[int]) -> str:
        return self.tgt_tokenizer.detokenize(self.tgt_vocab.decode(ids))

    def src_tokens(self, ids: list[int]) -> list[str]:
        return [self.src_vocab.itos[i] for i in ids]

    def tgt_tokens(self, ids: list[int]) -> list[str]:
        return [self.tgt_vocab.itos[i] for i in ids]

    @property
    def lowercase_target(self) -> bool:
        return bool(self.tgt_tokenizer.to_dict().get("lowercase"))

    # -- data and artifacts --------------------------------------------------------------------
    def prepare(self, artifacts: Path | None = None) -> None:
        d = self.config.data
        pairs, stats = read_pairs(d, d.train, d.train_tgt)
        pairs = leave_out(pairs, d.exclude_pairs, stats)
        if d.valid:
            valid, vstats = read_pairs(d, d.valid, d.valid_tgt)
        else:
            pairs, valid = split_pairs(pairs, d.valid_fraction, d.split_seed)
            vstats, stats.held_out = None, len(valid)
            self._say(
                f"no validation data: {len(valid):,} pairs ({d.valid_fraction:.0%}) held "
                f"out by a seeded random split (split_seed {d.split_seed})"
            )
        if d.max_pairs and len(pairs) > d.max_pairs:
            self._say(f"train: using {d.max_pairs:,} of {len(pairs):,} pairs (data.max_pairs)")
            pairs = sample_pairs(pairs, d.max_pairs, d.split_seed + 1)
            stats = PairStats(read=len(pairs))
        if artifacts is not None:
            self.load_artifacts(artifacts)
        else:
            source, target = build_sides(d, pairs)
            self.src_tokenizer, self.src_vocab = source
            self.tgt_tokenizer, self.tgt_vocab = target
        ids = [(self.src_ids(s), self.tgt_ids(t)) for s, t in pairs]
        limits = (d.max_src_len, d.max_tgt_len)
        self.train_pairs = filter_lengths(ids, *limits, stats)
        self._say(stats.describe("train"))
        if vstats is not None:
            self._say(vstats.describe("valid"))
        if not self.train_pairs:
            raise SeqlabError(f"{d.train}: no training pairs left after filtering")
        if not valid:  # nothing held out: check the fit on training pairs (filtered)
            fit = (p for p, (s, t) in zip(pairs, ids, strict=True) if fits(s, t, *limits))
            valid = list(itertools.islice(fit, max(1, d.bleu_sentences)))
        self.valid_text = valid
        self.valid_pairs = [(self.src_ids(s), self.tgt_ids(t)) for s, t in self.valid_text]
        self.plan_pair_batches()

    def _say(self, message: str) -> None:
        if self.rank == 0:
            print(message, file=sys.stderr)

    def save_artifacts(self, run_dir: Path) -> None:
        files = Artifacts(run_dir)
        files.write_text_side("src_", self.src_tokenizer, self.src_vocab)
        files.write_text_side("tgt_", self.tgt_tokenizer, self.tgt_vocab)

    def load_artifacts(self, run_dir: Path) -> None:
        files = Artifacts(run_dir)
        self.src_tokenizer, self.src_vocab = files.text_side("src_")
        self.tgt_tokenizer, self.tgt_vocab = files.text_side("tgt_")

    # -- model ---------------------------------------------------------------------------------
    def model_sizes(self) -> dict[str, int]:
        return {"src_vocab_size": len(self.src_vocab), "tgt_vocab_size": len(self.tgt_vocab)}

    def make_model(self, config: Seq2SeqModelConfig, fresh: bool) -> Seq2Seq | TransformerSeq2Seq:
        return build_model(config, len(self.src_vocab), len(self.tgt_vocab))

    # -- training ------------------------------------------------------------------------------
    def plan_pair_batches(self) -> None:
        """Sentence batches hold pairs of similar source length; token batches cost the longer
        side of a pair: source + <eos>, or target + <sos> (the length of tgt_in and tgt_out)."""
        t = self.config.train
        if t.batch_type == "tokens":
            sizes = [max(len(src), len(tgt)) + 1 for src, tgt in self.train_pairs]
            self.plan_batches(sizes, ", or drop long pairs with data.max_src_len / max_tgt_len")
        else:
            lengths = [len(s) for s, _ in self.train_pairs]
            where = {"seed": t.seed, "rank": self.rank, "world": self.world_size}
            self.batches = BucketedBatches(lengths, t.batch_size, **where)

    def teacher_forcing(self, step: int) -> float:
        """The teacher-forcing ratio at global step ``step`` (scheduled sampling)."""
        m, t = self.config.model, self.config.train
        if m.teacher_forcing_schedule == "constant":
            steps = 1
        else:
            steps = m.teacher_forcing_steps or t.max_steps or self.num_batches(0) * t.epochs
        kind, start, final = m.teacher_forcing_schedule, m.teacher_forcing, m.teacher_forcing_final
        return TeacherForcingSchedule(kind, start, final, steps)(step)

    def train_batch(self, epoch: int, index: int) -> PairBatch:
        rows = self.batches.rows(epoch, index)
        step = epoch * self.num_batches(0) + index  # token batches: epochs differ a little
        return make_batch([self.train_pairs[i] for i in rows], self.teacher_forcing(step))

    def batch_tokens(self, batch: PairBatch) -> int:
        return int(batch.src_lengths.sum())

    def batch_positions(self, batch: PairBatch) -> tuple[int, int]:
        """Over the source and the target tensors (tgt_in and tgt_out pad alike)."""
        real = int(batch.src_lengths.sum()) + batch.num_tokens
        return real, batch.src.numel() + batch.tgt_out.numel()

    def batch_loss(self, model: nn.Module, batch: PairBatch, carry) -> tuple[Tensor, int, Any]:
        device = next(model.parameters()).device
        src, lengths, tgt_in, tgt_out = (
            t.to(device) for t in (batch.src, batch.src_lengths, batch.tgt_in, batch.tgt_out)
        )
        keep = tgt_out != PAD_ID  # (B, T)
        logits, _ = model(src, lengths, tgt_in, teacher_forcing=batch.teacher_forcing, keep=keep)
        loss = F.cross_entropy(
            logits.float(), tgt_out[keep], label_smoothing=self.config.model.label_smoothing
        )
        return loss, batch.num_tokens, None

    @torch.no_grad()
    def validate(self, model: nn.Module) -> dict[str, float]:
        """Teacher-forced loss and perplexity on all validation pairs; greedy BLEU on the
        first ``data.bleu_sentences`` of them."""
        model.eval()
        metrics = teacher_forced_loss(model, self.valid_pairs, self.eval_batch_size())
        n = self.config.data.bleu_sentences
        if n:
            sources = [s for s, _ in self.valid_text[:n]]
            refs = [t for _, t in self.valid_text[:n]]
            ids = [self.src_ids(s) for s in sources]
            hyps = [h[0] for h in self.decode(model, ids, Greedy())]
            metrics["bleu"] = corpus_bleu(
                [self.tgt_text(h.tokens) for h in hyps], refs, self.lowercase_target
            )
        return metrics

    def validation_samples(self, model: nn.Module) -> Samples:
        """Greedy outputs of the first validation sources beside their references, and the
        attention of the first (for a model with attention)."""
        return greedy_samples(self, model)

    def eval_batch_size(self) -> int:
        return self.config.train.eval_batch_size or max(32, self.config.train.batch_size)

    # -- use after training --------------------------------------------------------------------
    def encode_source(
        self, text: str, on_long: str = "truncate", where: str = ""
    ) -> tuple[list[int], bool]:
        """Token ids of one source sentence, and whether they were cut. Unknown words become
        <unk>, never an error. A source over ``data.max_src_len`` tokens is truncated with a
        warning, or rejected (``on_long`` error); ``where`` prefixes the message."""
        ids = self.src_ids(text)
        limit = self.config.data.max_src_len
        if not limit or len(ids) <= limit:
            return ids, False
        what = f"{where}source of {len(ids)} tokens is longer than the model's limit of {limit}"
        if on_long == "error":
            raise SeqlabError(f"{what} (data.max_src_len); shorten it or use --on-long truncate")
        print(f"warning: {what}; truncated", file=sys.stderr)
        return ids[:limit], True

    def _translate_batch(
        self, model: nn.Module, lines: list[str], options: TranslateOptions, first: int
    ) -> list[Translation]:
        """Translations of ``lines`` (line numbers from ``first``); an empty line gets one empty
        hypothesis, so outputs stay aligned with inputs."""
        todo = [i for i, line in enumerate(lines) if line.strip()]
        encoded = {
            i: self.encode_source(lines[i], options.on_long, f"line {first + i}: ") for i in todo
        }
        sources = [ids for ids, _ in encoded.values()]
        hyps = self.decode(model, sources, options.strategy, attention=options.attention)
        found = dict(zip(todo, hyps, strict=True))
        out = []
        for i, line in enumerate(lines):
            best = found.get(i, [Hypothesis([], 0.0)])
            src, truncated = encoded.get(i, ([], False))
            out.append(
                Translation(
                    source=line,
                    src_tokens=self.src_tokens(src),
                    hypotheses=best,
                    texts=[self.tgt_text(h.tokens) for h in best],
                    tgt_tokens=[self.tgt_tokens(h.tokens) for h in best],
                    truncated=truncated,
                )
            )
        return out

    def translate(
        self, model: nn.Module, lines: Iterable[str], options: TranslateOptions
    ) -> Iterator[Translation]:
        """One :class:`Translation` per input line, decoded ``options.batch_size`` at a time."""
        buffer: list[str] = []
        done = 0
        for line in lines:
            buffer.append(line.rstrip("\r\n"))
            if len(buffer) >= options.batch_size:
                yield from self._translate_batch(model, buffer, options, done + 1)
                done, buffer = done + len(buffer), []
        if buffer:
            yield from self._translate_batch(model, buffer, options, done + 1)

    def evaluate(self, model: nn.Module, options: EvaluateOptions) -> Evaluation:
        """Translate ``options.src`` and score it against ``options.ref``: sacrebleu BLEU and
        chrF with their signatures."""
        if options.data is not None:
            raise SeqlabError("evaluate: a seq2seq model takes --src FILE --ref FILE, not --data")
        if options.src is None or options.ref is None:
            raise SeqlabError("evaluate: a seq2seq model needs --src FILE and --ref FILE")
        sources, refs = read_aligned_lines(options.src, options.ref, options.encoding, "reference")
        decoding = TranslateOptions(strategy=options.strategy)
        hyps = [t.text for t in self.translate(model, sources, decoding)]
        if self.lowercase_target:
            refs = [r.lower() for r in refs]
        size = options.strategy.size if isinstance(options.strategy, Beam) else 1
        return bleu_and_chrf(hyps, refs, size)

    # -- decoding ------------------------------------------------------------------------------
    def decode(
        self,
        model: nn.Module,
        sources: list[list[int]],
        strategy: Strategy,
        *,
        attention: bool = False,
        batch_size: int = 0,
        compact: bool = True,
        max_length: int = 0,
    ) -> list[list[Hypothesis]]:
        """Source id lists (no <eos>) -> per source its hypotheses (``n_best`` for beam
        search), decoded ``batch_size`` sources at a time (0: the evaluation batch size), each
        at most ``max_length`` tokens long if > 0 (else the model's length rule)."""
        model.eval()
        device = next(model.parameters()).device
        m, out = self.config.model, []
        batch_size = batch_size or self.eval_batch_size()
        for start in range(0, len(sources), batch_size):
            src, lengths = pad([with_eos(s) for s in sources[start : start + batch_size]])
            src, lengths = src.to(device), lengths.to(device)
            with torch.inference_mode():
                state = model.start(src, lengths)
            limits = max_lengths(lengths, m.max_len_ratio, m.max_len_offset)
            if max_length:
                limits = limits.clamp(max=max_length)
            if hasattr(model, "max_len"):  # positions end there (a Transformer)
                limits = limits.clamp(max=model.max_len - 1)
            out += decode(
                model,
                state,
                strategy,
                first=torch.full_like(lengths, SOS_ID),
                limits=limits,
                eos=EOS_ID,
                attention=attention,
                compact=compact,
            )
        return out
