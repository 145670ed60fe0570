#!/usr/bin/env bash
# Multi30k en->fr: attention none vs bahdanau vs luong, 20 CPU-minutes each, same size, one at
# a time; then training tokens/s and decoding sentences/s of the three runs.
#   bash bench/multi30k_attention.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MIN=${1:-20}
D=../shared/data/multi30k
SIZE="1-layer bidirectional LSTM encoder 256, LSTM decoder 256, embeddings 256, sentencepiece BPE 4,000 per side, dropout 0.3, batch 64, Adam 2e-3 constant, label smoothing 0.1, clipping 1; validation greedy BLEU on 300 val sentences every 500 steps keeps the best checkpoint"
for att in none bahdanau luong; do
  case $att in
    none) what="none (the lecture's fixed context vector)" ;;
    bahdanau) what="bahdanau (additive)" ;;
    luong) what="luong, general score, input feeding" ;;
  esac
  $PY bench/task_run.py "m30k-$att" configs/seq2seq_multi30k.yaml \
    --set model.cell=lstm --set model.hidden_size=256 --set model.embedding_dim=256 \
    --set model.dropout=0.3 --set model.attention=$att --set model.score=general \
    --set model.input_feed=$([ $att = luong ] && echo true || echo false) \
    --set data.vocab_size=4000 --set data.bleu_sentences=300 \
    --set train.eval_every=500 --set train.epochs=100 --set train.patience=0 \
    --set train.schedule=constant --set train.lr=0.002 --set train.metric=bleu \
    --set train.time_limit_minutes="$MIN" --set out_dir="runs/bench/m30k-$att" \
    --eval-src $D/val.en.gz --eval-ref $D/val.fr.gz --keys loss,ppl,bleu,chrf \
    --note "Multi30k en->fr, official train/val split, $MIN CPU-minutes for each of none / bahdanau / luong. Same size for all: $SIZE. Held-out = greedy BLEU/chrF (sacrebleu) on all 1,014 val sentences with the best checkpoint. Attention: $what."
done
$PY bench/seq2seq_speed.py runs/bench/m30k-none runs/bench/m30k-bahdanau runs/bench/m30k-luong \
  --src $D/val.en.gz
