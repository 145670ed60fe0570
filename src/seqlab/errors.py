"""User-facing errors.

A ``SeqlabError`` is bad input that the user can fix: the CLI prints its message on one line
(``error: ...``) and exits with status 2, never a traceback. Messages name the file, line or
config key, say what was wrong and what was expected.
"""

from __future__ import annotations


class SeqlabError(Exception):
    """Bad input, reported to the user on one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(message.split()))  # always one line


class ConfigError(SeqlabError):
    """An unknown key, a wrong type or an out-of-range value in a config."""
