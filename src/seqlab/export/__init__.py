"""``seqlab export``: a trained run as graphs another runtime executes (ONNX, optionally int8).

    graphs.py       the torch modules whose forward is each graph, with input and output names
    transformer_graphs.py  a Transformer LM's graphs, its key/value cache in and out
    transformer_seq2seq_graphs.py  a Transformer encoder-decoder's encoder and decoder step
    onnx_export.py  the export: graphs, quantization, a copy of the run's vocabularies, manifest

The runtime side (loading and running an export) is :mod:`seqlab.runtime`.
"""
