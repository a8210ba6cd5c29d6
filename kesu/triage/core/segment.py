"""Word segmentation with rjieba plus a domain dictionary.

jieba's general dictionary cuts some complaint vocabulary in ways that lose the meaning
(外卖小哥 → 外卖/小哥, 封口不严 → 封口/不严, 缺斤短两 in pieces). rjieba supports user words on an
instance (``Jieba.add_word``), so the domain dictionary — the words in
``kesu/triage/data/domain_words.txt`` plus every lexicon word — is added to a private
``rjieba.Jieba`` instance with a high frequency; the module-level default instance stays
untouched for the rest of the process. Administrators edit the words file (or, later, the
Django side passes words from the database); a segmenter is rebuilt when the word list
changes, which costs about 0.1 s.

A segmenter pickles as its word list only (the Rust object cannot be pickled) and rebuilds
its jieba instance on first use after loading.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEFAULT_WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "domain_words.txt"
_DOMAIN_FREQ = 200_000


def read_words(path: Path | str = DEFAULT_WORDS_FILE) -> list[str]:
    """One word per line; blank lines and ``#`` comments skipped."""
    words = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        word = raw.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words


class Segmenter:
    """Cuts normalised text into words, keeping the domain words whole."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words: tuple[str, ...] = tuple(dict.fromkeys(w for w in words if w))
        self._jieba: Any = None
        self._lock = threading.Lock()

    def _instance(self) -> Any:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import rjieba  # type: ignore[import-untyped]

                    jieba = rjieba.Jieba()
                    for word in self.words:
                        jieba.add_word(word, _DOMAIN_FREQ, None)
                    self._jieba = jieba
        return self._jieba

    def cut(self, text: str) -> list[str]:
        """Words of ``text`` (already normalised), whitespace dropped."""
        return [t for t in self._instance().cut(text) if t.strip()]

    def __getstate__(self) -> dict[str, Any]:
        return {"words": list(self.words)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["words"])  # type: ignore[misc]
