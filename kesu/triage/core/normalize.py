"""Text normalisation before segmentation and features.

Customers write full-width Latin and digits (１２３１５, ＡＢＣ), traditional characters (發霉,
質量), runs of punctuation (！！！！！, ？？？) and emoji. The classifier should see one form of
each, so that 12315 and １２３１５ are one feature, while the signal a run of "!!!" or a 😡
carries survives.

Traditional → simplified uses OpenCC's t2s character table. ``opencc.OpenCC("t2s").convert``
costs about 1.4 µs per character in pure Python (≈ 0.3 ms for a 200-character complaint),
too slow for the 2,000 texts/s budget, so the table is derived from OpenCC once (each entry
of its TSCharacters dictionary converted by OpenCC itself) and applied with ``str.translate``
(≈ 1 µs per text). Phrase-level conversions (a handful of words whose simplified form depends
on context) are lost; for classification that does not matter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

#: Characters that form emoji sequences but carry no meaning of their own for us.
_EMOJI_JOINERS = dict.fromkeys(map(ord, "\ufe0f\ufe0e\u200d\u200b\u200c\u2060\ufeff"), None)

_REPEAT_PUNCT = re.compile(r"([!?.,~。，、！？…～\-_=*#^])\1{2,}")
_REPEAT_CHAR = re.compile(r"(.)\1{3,}")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def t2s_table() -> dict[int, str]:
    """Traditional → simplified character table, derived once from OpenCC's t2s conversion."""
    import opencc  # type: ignore[import-untyped]

    converter = opencc.OpenCC("t2s")
    source = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    with source.open(encoding="utf-8") as fh:
        for line in fh:
            char = line.split("\t", 1)[0].strip()
            if len(char) != 1:
                continue
            simplified = converter.convert(char)
            if simplified and simplified != char:
                table[ord(char)] = simplified
    return table


def to_simplified(text: str) -> str:
    """Traditional characters replaced by their simplified form (character table)."""
    return text.translate(t2s_table())


def normalize(text: str) -> str:
    """The one form every text takes before segmentation, lexicon matching and features.

    NFKC (full-width → half-width, compatibility forms), traditional → simplified, lowercase,
    whitespace collapsed, runs of the same punctuation mark cut to two (``!!!!!`` → ``!!``)
    and of any other character to three (``啊啊啊啊啊`` → ``啊啊啊``). Emoji are kept, without
    variation selectors and joiners, so that 😡 and 👍 remain features.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = text.translate(_EMOJI_JOINERS)
    text = to_simplified(text).lower()
    text = _SPACES.sub(" ", text).strip()
    text = _REPEAT_PUNCT.sub(r"\1\1", text)
    return _REPEAT_CHAR.sub(r"\1\1\1", text)
