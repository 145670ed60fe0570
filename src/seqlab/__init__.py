"""seqlab: recurrent sequence models you can read, run and measure."""

__version__ = "0.1.0"
