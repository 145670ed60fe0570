"""Running an exported model: ONNX Runtime behind the same interface as the torch models.

    manifest.py   what an export holds and which checkpoint it came from (stale ones refused)
    ort.py        the runtime models: encoder and decoder step, language-model step, the
                  conditional generator's start and step, the classifier, the tagger's emissions
    ort_transformer.py  the Transformer LM: step and forward graphs over its key/value cache
    ort_transformer_seq2seq.py  the Transformer encoder-decoder: encoder, then decoder steps
    backend.py    a run on a backend: torch, onnx or onnx-int8

The decoding loop and its strategies (:mod:`seqlab.decode`) are the same code for every backend;
only ``start`` / ``step`` / ``select`` and the whole-sequence calls differ.
"""
