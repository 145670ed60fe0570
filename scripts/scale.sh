# Sourced by the demos: SEQLAB_DEMO_SCALE (default 1) multiplies every step budget, so that their
# tests run them at a small fraction. A value that is not a positive number stops the demo
# (status 2) before anything runs.
SCALE=${SEQLAB_DEMO_SCALE:-1}
if ! [[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || [[ $SCALE =~ ^[0.]+$ ]]; then
  echo "error: SEQLAB_DEMO_SCALE=$SCALE: expected a positive number such as 0.02" >&2
  exit 2
fi

# steps N: the budget N times SEQLAB_DEMO_SCALE, rounded, at least 1.
steps() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'; }
