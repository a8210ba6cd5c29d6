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

``import rjieba`` builds that default instance at once, ~25 MB of dictionary that kesu never
uses, in every process that segments (each web worker). :func:`jieba_class` therefore loads
rjieba's compiled module without running the package's ``__init__``; a later ``import rjieba``
(tests, other code) finds the module registered and reuses it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEFAULT_WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "domain_words.txt"
_DOMAIN_FREQ = 200_000
_load_lock = threading.Lock()


def read_words(path: Path | str = DEFAULT_WORDS_FILE) -> list[str]:
    """One word per line; blank lines and ``#`` comments skipped."""
    words = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        word = raw.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words


def jieba_class() -> Any:
    """``rjieba.Jieba``, from the compiled module ``rjieba.rjieba`` loaded on its own if need be."""
    with _load_lock:  # a compiled module may be initialised only once per process
        return _jieba_module().Jieba


def _jieba_module() -> Any:
    module = sys.modules.get("rjieba.rjieba")
    if module is None:
        package = importlib.util.find_spec("rjieba")  # a top-level spec: finding it runs nothing
        assert package is not None and package.submodule_search_locations
        finder = importlib.machinery.FileFinder(
            package.submodule_search_locations[0],
            (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES))
        spec = finder.find_spec("rjieba.rjieba")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["rjieba.rjieba"] = module
    return module


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
                    jieba = jieba_class()()
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
