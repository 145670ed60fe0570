#!/usr/bin/env bash
# Checkpoint averaging and ensembles of three, on CoNLL-03 and Multi30k: trains three seeds of one
# model, two at a time with one thread each (the machine's two cores), keeping the checkpoints of
# the last five validations; then bench.average_ensemble scores each seed alone, the three as one
# ensemble, and seed 1's best, last and mean-of-last-5 checkpoints on the held-out data.
#   bash bench/ensembles.sh conll03|multi30k [MINUTES]
# conll03 trains configs/tag_conll03_glove.yaml (validation every 150 steps); multi30k the Bahdanau
# LSTM of bench/attention_three_way.sh (token batches of 1,000, validation every 200 steps).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DATA=${1:?usage: ensembles.sh conll03|multi30k [MINUTES]}
MIN=${2:-8}
case $DATA in
  conll03)
    CONFIG=configs/tag_conll03_glove.yaml
    SETS=(--set train.eval_every=150)
    HELD=(--data ../shared/data/conll2003/eng.testa --keys f1,precision,recall)
    ROW="CoNLL-03 NER: three seeds of \`tag_conll03_glove.yaml\`, $MIN min each on one thread; an ensemble of 3 and the mean of the last 5 checkpoints (eng.testa F1, dev)"
    WHAT="configs/tag_conll03_glove.yaml (GloVe 6B 50-d, char CNN, casing classes, CRF over IOBES), validation F1 on eng.testa every 150 steps; eng.testa also scores every row, so all are dev figures (../shared holds no eng.testb)" ;;
  multi30k)
    D=../shared/data/multi30k
    CONFIG=configs/seq2seq_multi30k.yaml
    SETS=(--set model.cell=lstm --set model.hidden_size=256 --set model.embedding_dim=256
      --set model.dropout=0.3 --set model.attention=bahdanau --set model.score=general
      --set model.input_feed=false --set data.vocab_size=4000 --set data.bleu_sentences=300
      --set train.epochs=100 --set train.patience=0 --set train.schedule=constant
      --set train.lr=0.002 --set train.metric=bleu --set train.precision=fp32
      --set train.batch_type=tokens --set train.batch_tokens=1000 --set train.eval_every=200)
    HELD=(--src $D/val.en.gz --ref $D/val.fr.gz --keys bleu,chrf)
    ROW="Multi30k en->fr: three seeds of the Bahdanau LSTM, $MIN min each on one thread; an ensemble of 3 and the mean of the last 5 checkpoints (greedy val BLEU)"
    WHAT="the Bahdanau LSTM of bench/attention_three_way.sh (encoder and decoder 256, BPE 4,000 a side, 1,000-token batches, Adam 2e-3), validation greedy BLEU on 300 val sentences every 200 steps; rows are greedy BLEU/chrF on all 1,014 val sentences, which include the 300 that chose each checkpoint, so all are validation figures (../shared holds no Multi30k test split)" ;;
  *) echo "ensembles.sh: unknown data set '$DATA'; expected conll03 or multi30k" >&2; exit 2 ;;
esac
train() {  # seed -> runs/bench/ens-DATA-seedN, one thread
  local run=runs/bench/ens-$DATA-seed$1
  rm -rf "$run"
  $PY -m seqlab train $CONFIG "${SETS[@]}" --set train.seed=$1 --set train.threads=1 \
    --set train.time_limit_minutes="$MIN" --set train.keep_checkpoints=5 \
    --set train.progress=false --set out_dir="$run" > "$run.log" 2>&1
}
mkdir -p runs/bench
train 1 & train 2 & wait
train 3 & wait
$PY -m bench.average_ensemble "ensembles-$DATA" \
  --runs runs/bench/ens-$DATA-seed{1,2,3} --average runs/bench/ens-$DATA-seed1 --last 5 \
  "${HELD[@]}" --what "$ROW" \
  --note "Three seeds of $WHAT, each trained for $MIN minutes with one thread, at most two at a time on the 2 cores, by \`bash bench/ensembles.sh $DATA $MIN\`; the mean of the last 5 checkpoints is \`seqlab average RUN --last 5\`."
