"""Risk-word lexicons: words that raise severity or priority whatever the classifier thinks.

A lexicon is plain data, editable by an administrator: one file per category in a directory
(``kesu/triage/data/lexicons/<category>.txt``), one word per line with an optional weight
(``住院 3``), ``#`` starting a comment. What a category *does* (raise severity to serious,
flag a crisis …) is decided in :mod:`kesu.triage.core.rules`; a new file with an unknown
category still yields features for the classifier and risk words for the user.

Matching runs on normalised text (:func:`normalize`), longest word first, and skips a hit
that is negated just before it (没有异物, 没发现虫子, 并未住院): those sentences say the risk is
absent, which is the opposite of what the word alone suggests. Negation is checked in a
short window only; it is cheap and catches the common forms, not every construction. A
hypothetical just before the word (会不会过敏, 万一有异物, 防止漏电) is treated the same way: the
text asks or worries, it does not report harm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kesu.triage.core.normalize import normalize

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "lexicons"

_NEGATION = re.compile(
    r"(?:没有|没|无|不是|并非|并无|并未|未|不存在|不含|排除"
    r"|会不会|会否|是否|万一|如果|怕|担心会|防止|避免|预防)"
    r"(?:发现|出现|看到|看见|检测到|检出|吃出|喝出|吃到|喝到|任何|什么|啥|造成|导致|引起)*$"
)
_NEGATION_WINDOW = 8


@dataclass(frozen=True)
class Entry:
    word: str
    category: str
    weight: float = 1.0


@dataclass(frozen=True)
class Hit:
    """A lexicon word found in a text; ``negated`` hits are reported but do not count as risks."""

    word: str
    category: str
    weight: float
    start: int
    negated: bool = False


class Lexicon:
    """A set of categorised risk words with one compiled longest-match pattern."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        by_word: dict[str, Entry] = {}
        for entry in entries:
            word = normalize(entry.word)
            if word:
                by_word[word] = Entry(word, entry.category, entry.weight)
        self.entries: tuple[Entry, ...] = tuple(sorted(by_word.values(), key=lambda e: (e.category, e.word)))
        self._by_word = by_word
        words = sorted(by_word, key=lambda w: (-len(w), w))
        self._pattern = re.compile("|".join(map(re.escape, words))) if words else None

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({e.category for e in self.entries}))

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(e.word for e in self.entries)

    def find(self, normalized_text: str) -> list[Hit]:
        """All hits in a normalised text, in order, negated ones marked."""
        if self._pattern is None:
            return []
        hits = []
        for match in self._pattern.finditer(normalized_text):
            entry = self._by_word[match.group()]
            before = normalized_text[max(0, match.start() - _NEGATION_WINDOW):match.start()]
            hits.append(Hit(entry.word, entry.category, entry.weight, match.start(),
                            negated=bool(_NEGATION.search(before))))
        return hits

    def risks(self, normalized_text: str) -> list[Hit]:
        """Hits that are not negated: the words that really signal a risk."""
        return [h for h in self.find(normalized_text) if not h.negated]

    def to_mapping(self) -> dict[str, list[tuple[str, float]]]:
        out: dict[str, list[tuple[str, float]]] = {}
        for e in self.entries:
            out.setdefault(e.category, []).append((e.word, e.weight))
        return out

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Iterable[str | tuple[str, float]]]) -> Lexicon:
        """``{"harm": ["住院", ("受伤", 2.0)], …}`` — what the Django side builds from the database."""
        entries = []
        for category, words in mapping.items():
            for item in words:
                word, weight = (item, 1.0) if isinstance(item, str) else (item[0], float(item[1]))
                entries.append(Entry(word, category, weight))
        return cls(entries)

    @classmethod
    def from_dir(cls, directory: Path | str = DEFAULT_DIR) -> Lexicon:
        """Every ``*.txt`` file of ``directory``; the file name (without .txt) is the category."""
        entries: list[Entry] = []
        for path in sorted(Path(directory).glob("*.txt")):
            entries.extend(parse_lines(path.stem, path.read_text(encoding="utf-8").splitlines()))
        return cls(entries)

    def __getstate__(self) -> dict[str, object]:
        return {"entries": [(e.word, e.category, e.weight) for e in self.entries]}

    def __setstate__(self, state: dict[str, object]) -> None:
        rows = state["entries"]
        assert isinstance(rows, list)
        self.__init__([Entry(w, c, wt) for w, c, wt in rows])  # type: ignore[misc]


def parse_lines(category: str, lines: Iterable[str]) -> list[Entry]:
    """Lines of a lexicon file: ``word`` or ``word weight``; blank lines and ``#`` comments skipped."""
    entries = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        weight = 1.0
        if len(parts) > 1:
            try:
                weight = float(parts[-1])
                parts = parts[:-1]
            except ValueError:
                pass
        entries.append(Entry(" ".join(parts), category, weight))
    return entries
