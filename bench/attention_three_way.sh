#!/usr/bin/env bash
# Attention none vs bahdanau vs luong at the same size and the same wall-clock budget, one run at
# a time, on Multi30k (official split) or Tatoeba (the config's seeded 2% held-out split); then
# training tokens/s and decoding sentences/s of the three runs.
#   bash bench/attention_three_way.sh multi30k|tatoeba [MINUTES] [fp32|bf16] ["none bahdanau luong"]
# The fourth argument trains only the named runs (the speed table covers those that exist);
# "transformer" (Multi30k only) adds the Transformer of configs/seq2seq_multi30k_transformer.yaml
# (3+3 blocks of 256, 4 heads, feed-forward 512: 5.9M parameters against the LSTMs' 5.7M) on the
# same subwords and budget. SUFFIX (environment) replaces the run names' suffix, "-bf16" for
# bf16, "" for fp32. THREADS (environment, default 2) sets each run's threads, so that two
# one-thread invocations can share 2 cores; SPEED=0 skips the closing speed table (run it alone).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DATA=${1:?usage: attention_three_way.sh multi30k|tatoeba [MINUTES] [fp32|bf16] [RUNS]}
MIN=${2:-20}
PREC=${3:-fp32}
ATTS=${4:-none bahdanau luong}
THREADS=${THREADS:-2}
SIZE="1-layer bidirectional LSTM encoder 256, LSTM decoder 256, embeddings 256, sentencepiece BPE 4,000 per side, dropout 0.3, batch 64, Adam 2e-3 constant, label smoothing 0.1, clipping 1, precision $PREC"
case $DATA in
  multi30k)
    D=../shared/data/multi30k
    CONFIG=configs/seq2seq_multi30k.yaml PREFIX=m30k EVERY=500 BLEU_N=300
    HELD=(--eval-src $D/val.en.gz --eval-ref $D/val.fr.gz --keys loss,ppl,bleu,chrf)
    SPEED_SRC=(--src $D/val.en.gz)
    WHERE="Multi30k en->fr, official train/val split"
    SCORED="Held-out = greedy BLEU/chrF (sacrebleu) on all 1,014 val sentences with the best checkpoint." ;;
  tatoeba)
    CONFIG=configs/seq2seq_tatoeba.yaml PREFIX=tatoeba EVERY=1000 BLEU_N=1000
    HELD=(--keys loss,ppl,bleu)
    SPEED_SRC=()  # the runs' own held-out split
    WHERE="Tatoeba en->fr (fra.txt, 142,787 pairs as shipped; max 30 subword tokens a side), the config's seeded split: 2% of the pairs (2,856) held out with split_seed 1234, the rest trains"
    SCORED="BLEU = greedy decoding (sacrebleu) of the first 1,000 held-out pairs by the best checkpoint (the same pairs choose it; there is no separate test split)." ;;
  *) echo "attention_three_way.sh: unknown data set '$DATA'; expected multi30k or tatoeba" >&2; exit 2 ;;
esac
SUFFIX=${SUFFIX-$([ "$PREC" = fp32 ] && echo "" || echo "-$PREC")}
for att in $ATTS; do
  case $att in
    none) what="none (the lecture's fixed context vector)" ;;
    bahdanau) what="bahdanau (additive)" ;;
    luong) what="luong, general score, input feeding" ;;
  esac
  name="$PREFIX-$att$SUFFIX"
  if [ "$att" = transformer ]; then
    [ "$DATA" = multi30k ] || { echo "attention_three_way.sh: transformer runs on multi30k only" >&2; exit 2; }
    TSIZE="Transformer encoder-decoder (pre-LN), 3 encoder and 3 decoder blocks of width 256, 4 heads, feed-forward 512, sinusoidal positions, tied target embedding, the same BPE 4,000 per side, dropout 0.1, token batches of 2,000, Adam 7e-4 after 500 warm-up steps, halved when validation BLEU stops improving, label smoothing 0.1, clipping 1, precision $PREC"
    $PY -m bench.task_run "$name" configs/seq2seq_multi30k_transformer.yaml --threads "$THREADS" \
      --set data.bleu_sentences=$BLEU_N --set train.eval_every=$EVERY --set train.epochs=100 \
      --set train.patience=0 --set train.metric=bleu --set train.precision=$PREC \
      --set train.time_limit_minutes="$MIN" --set out_dir="runs/bench/$name" \
      "${HELD[@]}" \
      --note "$WHERE. $MIN CPU-minutes, the budget of the recurrent runs. $TSIZE; validation greedy BLEU on $BLEU_N held-out sentences every $EVERY steps keeps the best checkpoint. $SCORED"
    continue
  fi
  $PY -m bench.task_run "$name" $CONFIG --threads "$THREADS" \
    --set model.cell=lstm --set model.num_layers=1 --set model.hidden_size=256 \
    --set model.embedding_dim=256 --set model.dropout=0.3 --set model.attention=$att \
    --set model.score=general \
    --set model.input_feed=$([ $att = luong ] && echo true || echo false) \
    --set data.vocab_size=4000 --set data.bleu_sentences=$BLEU_N \
    --set train.eval_every=$EVERY --set train.epochs=100 --set train.patience=0 \
    --set train.schedule=constant --set train.lr=0.002 --set train.metric=bleu \
    --set train.precision=$PREC \
    --set train.time_limit_minutes="$MIN" --set out_dir="runs/bench/$name" \
    "${HELD[@]}" \
    --note "$WHERE. $MIN CPU-minutes for each of none / bahdanau / luong. Same size for all: $SIZE; validation greedy BLEU on $BLEU_N held-out sentences every $EVERY steps keeps the best checkpoint. $SCORED Attention: $what."
done
[ "${SPEED:-1}" = 0 ] && exit 0
RUNS=()
for att in none bahdanau luong transformer; do
  [ -d "runs/bench/$PREFIX-$att$SUFFIX" ] && RUNS+=("runs/bench/$PREFIX-$att$SUFFIX")
done
$PY -m bench.seq2seq_speed "${RUNS[@]}" "${SPEED_SRC[@]}" --name "$PREFIX-speed$SUFFIX"
