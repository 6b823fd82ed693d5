"""Text normalisation shared by indexing and querying, so both sides agree on what a word is.

Case- and accent-insensitive: NFKD, combining marks dropped, casefolded; anything that is not a
letter or digit separates words. Tags and facet values use the same folding.
"""
from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+|_+")


def fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def words(value: str) -> list[str]:
    """Folded words in order of appearance (duplicates kept)."""
    return [w for w in _NON_WORD.split(fold(value)) if w]


def normalize(value: str) -> str:
    return " ".join(words(value))


def tag_slug(value: str) -> str:
    """Tags are compared folded, with inner whitespace collapsed to single hyphens."""
    return "-".join(words(value))[:64]


def facet_value(value: object) -> str:
    """The indexable form of a metadata value (booleans and numbers in a canonical spelling)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return normalize(str(value))[:100]
