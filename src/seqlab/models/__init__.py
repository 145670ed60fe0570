"""The recurrent topologies of the lecture, one line each, in its order:

    one-to-many              cond_generator.py  one condition (a class, a feature vector) -> a text
    many-to-one              classifier.py      a whole text -> one label (spam or not)
    many-to-many, tagging    tagger.py          one tag per input token (named entities)
    many-to-many, seq2seq    seq2seq.py         a sentence -> another (translation, a chatbot)

The language model (lm.py) predicts the next token at every step, so it trains many-to-many
and generates one-to-many. The seq2seq model's parts are encoder.py, decoder.py (with
wiring.py for how attention joins it, and decoder_inference.py for its fast step); build.py
makes any of them from a checkpoint's arguments. Models only score: losses are the tasks',
decoding is :mod:`seqlab.decode`'s.
"""
