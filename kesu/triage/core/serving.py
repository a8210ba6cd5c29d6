"""The serving form of a model: everything prediction needs, in numpy arrays and JSON (ADR 0011).

A trained :class:`~kesu.triage.core.model.TriageModel` holds scikit-learn's fitted
vectorizers, and loading its pickle imports scikit-learn and scipy — about 100 MB in every
web worker, for arithmetic that needs neither: counting known n-grams, ``1 + log`` tf, × idf,
l2 norm, a gather of weight rows and Platt's sigmoid. :class:`ServingModel` is that arithmetic
over plain data — vocabularies, idf vectors, the stacked head weights, classes, rule effects,
lexicon and segmenter words — and it is the one implementation of prediction: a trained
``TriageModel`` predicts through its own serving form, and training builds its feature
matrix with the same :meth:`Features.row`, so what was trained on is what is served.

On disk it is one ``.npz`` file (``allow_pickle=False``: nothing in it can run code) with the
arrays and a JSON document; this module imports only numpy, rjieba and opencc (through the
segmenter and normaliser), never scikit-learn, scipy or joblib — a test checks it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from kesu.triage.core import SEVERITY_ORDER
from kesu.triage.core.heads import HeadSpec, HeadStack
from kesu.triage.core.lexicon import Entry, Hit, Lexicon
from kesu.triage.core.normalize import normalize
from kesu.triage.core.priority import combine_priority
from kesu.triage.core.result import Prediction, Triage
from kesu.triage.core.rules import Effect, apply_rules, level_max
from kesu.triage.core.segment import Segmenter

#: Version of the file layout below; a file of another format is rebuilt from the pickle.
FORMAT = 1


class StaleServingForm(ValueError):
    """A serving file written in another :data:`FORMAT` (rebuild it from the pickled model)."""


@dataclass(frozen=True)
class FeatureConfig:
    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    min_df: int = 1
    max_features: int | None = None
    sublinear_tf: bool = True
    lexicon_weight: float = 1.0


@dataclass(frozen=True)
class Doc:
    """A text as the model sees it: normalised form, words, lexicon hits."""

    text: str
    tokens: tuple[str, ...]
    hits: tuple[Hit, ...]


def prepare(texts: Iterable[str], segmenter: Segmenter, lexicon: Lexicon) -> list[Doc]:
    """Every text normalised, segmented and matched against the lexicon, once."""
    docs = []
    for raw in texts:
        text = normalize(raw)
        docs.append(Doc(text, tuple(segmenter.cut(text)), tuple(lexicon.find(text))))
    return docs


def length_token(text: str) -> str:
    n = len(text)
    return "__len_xs" if n <= 4 else "__len_s" if n <= 10 else "__len_m" if n <= 40 else "__len_l"


def word_grams(doc: Doc, ngrams: tuple[int, int]) -> list[str]:
    """Word n-grams of a doc plus its length bucket (the word vectorizer's analyzer)."""
    tokens = list(doc.tokens)
    out = [length_token(doc.text)]
    lo, hi = ngrams
    for n in range(lo, hi + 1):
        if n == 1:
            out.extend(tokens)
        else:
            out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return out


_WHITE_SPACES = re.compile(r"\s\s+")


def char_grams(doc: Doc, ngrams: tuple[int, int]) -> list[str]:
    """Character n-grams of the text: scikit-learn's ``analyzer="char"`` (runs of whitespace → one
    space, unigrams first, then each longer n in order), checked against it by a test."""
    text = _WHITE_SPACES.sub(" ", doc.text)
    lo, hi = ngrams
    out = list(text) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(text) + 1)):
        out += [text[i:i + n] for i in range(len(text) - n + 1)]
    return out


@dataclass(frozen=True)
class Vocabulary:
    """One fitted TF-IDF vectorizer: term → column, and the idf of each column."""

    index: Mapping[str, int]
    idf: np.ndarray

    def counts(self, grams: Iterable[str]) -> Mapping[int, int]:
        """Column → count of the known grams, in order of first occurrence (C-speed ``Counter``)."""
        counts: Counter[int | None] = Counter(map(self.index.get, grams))
        counts.pop(None, None)  # the unknown grams
        return cast("Counter[int]", counts)

    def terms(self) -> list[str]:
        """The terms in column order (what the serving file stores)."""
        out = [""] * len(self.index)
        for term, j in self.index.items():
            out[j] = term
        return out


class Features:
    """Docs → feature rows: word TF-IDF, character TF-IDF, lexicon counts, side by side.

    The TF-IDF arithmetic is scikit-learn's ``transform`` (optional ``1 + log`` tf, × idf, l2
    norm per vectorizer), done for a whole batch in a few numpy operations; the lexicon block
    is log(1 + weighted non-negated hits) per category, then log(1 + negated hits).
    """

    def __init__(self, config: FeatureConfig, words: Vocabulary, chars: Vocabulary,
                 lexicon_categories: tuple[str, ...]) -> None:
        self.config = config
        self.words, self.chars = words, chars
        self.lexicon_categories = lexicon_categories
        self._idf = np.concatenate([words.idf, chars.idf])  # the idf of every TF-IDF column

    @property
    def n_features(self) -> int:
        return len(self.words.index) + len(self.chars.index) + len(self.lexicon_categories) + 1

    def rows(self, docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The docs' features in CSR form: ``indptr``, column indices, float32 values.

        A row is its word columns, then its character columns (each in order of first
        occurrence), then its lexicon columns (ascending). Each value depends on its own row
        only, so a text gets the same row alone or in a batch.
        """
        config = self.config
        n_words = len(self.words.index)
        lex_base = n_words + len(self.chars.index)
        lexicon = {c: lex_base + i for i, c in enumerate(self.lexicon_categories)}
        negated = lex_base + len(lexicon)
        cols: list[int] = []      # words and chars: the vectorizer's own column; lexicon: global
        values: list[float] = []  # words and chars: counts; lexicon: weighted sums
        lengths: list[int] = []   # per row: how many word, char, lexicon values
        for doc in docs:
            words = self.words.counts(word_grams(doc, config.word_ngrams))
            chars = self.chars.counts(char_grams(doc, config.char_ngrams))
            sums: dict[int, float] = {}
            for hit in doc.hits:
                col = negated if hit.negated else lexicon.get(hit.category)
                if col is not None:
                    sums[col] = sums.get(col, 0.0) + (1.0 if hit.negated else hit.weight)
            hits = sorted(sums)
            for part in (words, chars):
                cols.extend(part)
                values.extend(part.values())
            cols.extend(hits)
            values.extend(sums[c] for c in hits)
            lengths.extend((len(words), len(chars), len(hits)))
        segment = np.repeat(np.arange(len(lengths)), lengths)  # (row, block) of each value
        block = segment % 3
        col_array = np.asarray(cols, dtype=np.int64) + np.where(block == 1, n_words, 0)
        data = np.asarray(values, dtype=np.float64)
        tfidf = block != 2
        tf = data[tfidf]
        if config.sublinear_tf:
            tf = np.log(tf) + 1.0
        tf *= self._idf[col_array[tfidf]]
        norms = np.sqrt(np.bincount(segment[tfidf], weights=tf * tf, minlength=len(lengths)))
        norms[norms == 0] = 1.0
        data[tfidf] = tf / norms[segment[tfidf]]
        data[~tfidf] = np.log1p(data[~tfidf]) * config.lexicon_weight
        indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)[2::3]])
        return indptr, col_array, data.astype(np.float32)


class ServingModel:
    """Prediction: features, stacked heads, rules; what intake, imports and evaluation call."""

    def __init__(self, features: Features, heads: HeadStack, *, segmenter: Segmenter, lexicon: Lexicon,
                 effects: Mapping[str, Effect], version: str, created_at: str, training_size: int,
                 metrics: Mapping[str, Any], sources: Mapping[str, int]) -> None:
        self.features = features
        self.heads = heads
        self.segmenter = segmenter
        self.lexicon = lexicon
        self.effects = dict(effects)
        self.version = version
        self.created_at = created_at
        self.training_size = training_size
        self.metrics: dict[str, Any] = dict(metrics)
        self.sources: dict[str, int] = dict(sources)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.heads.specs)

    def prepare(self, texts: Sequence[str]) -> list[Doc]:
        return prepare(texts, self.segmenter, self.lexicon)

    def predict_raw(self, docs: Sequence[Doc]) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per field: the classifier's codes and confidences, before any rule (a text gets the
        same numbers alone or in a batch)."""
        if not docs:
            return {f: ([], np.zeros(0)) for f in self.fields}
        probas = self.heads.proba_from_margins(self.heads.margins(*self.features.rows(docs)))
        out = {}
        for name, spec in self.heads.specs.items():
            proba = probas[name]
            best = proba.argmax(axis=1)
            out[name] = ([str(c) for c in spec.classes[best]], proba[np.arange(len(docs)), best])
        return out

    def predict(self, text: str, *, customer_level: str | None = None, repeats: int = 0) -> Triage:
        return self.predict_many([text], customer_levels=[customer_level], repeats=[repeats])[0]

    def predict_many(self, texts: Sequence[str], *, customer_levels: Sequence[str | None] | None = None,
                     repeats: Sequence[int] | None = None) -> list[Triage]:
        docs = self.prepare(texts)
        raw = self.predict_raw(docs)
        out = []
        for i, doc in enumerate(docs):
            preds = {name: Prediction(codes[i], float(conf[i])) for name, (codes, conf) in raw.items()}
            level = customer_levels[i] if customer_levels else None
            count = repeats[i] if repeats else 0
            out.append(self._finish(doc, preds, customer_level=level, repeats=count))
        return out

    def _finish(self, doc: Doc, preds: dict[str, Prediction], *, customer_level: str | None,
                repeats: int) -> Triage:
        """Apply the rules and the priority combination to one text's raw predictions."""
        triage = Triage(model_version=self.version)
        for name, prediction in preds.items():
            setattr(triage, name, prediction)
        risks = [h for h in doc.hits if not h.negated]
        triage.risk_words = list(dict.fromkeys(h.word for h in risks))
        kind, sentiment = triage.code("kind"), triage.code("sentiment")
        complaint_like = kind in (None, "complaint") or sentiment == "negative"
        outcome = apply_rules(risks if complaint_like else [], self.effects)
        triage.crisis = outcome.crisis
        triage.reasons.extend(outcome.reasons)
        severity = triage.severity.code if triage.severity else None
        raised = level_max(severity, outcome.severity_floor, SEVERITY_ORDER)
        if severity == "special":
            raised = severity
        if raised is not None and raised != severity:
            triage.severity = Prediction(raised, 1.0)
        base = triage.priority.code if triage.priority else "general"
        final, reasons = combine_priority(
            base, severity=triage.severity.code if triage.severity else "general", kind=kind or "complaint",
            rule_floor=outcome.priority_floor, customer_level=customer_level, repeats=repeats)
        triage.reasons.extend(reasons)
        if triage.priority is None or final != triage.priority.code:
            triage.priority = Prediction(final, 1.0)
        return triage


# --- the file ------------------------------------------------------------------------------------

def dump(model: ServingModel, fh: IO[bytes]) -> None:
    """Write ``model`` as an uncompressed ``.npz``: the arrays, and the rest as UTF-8 JSON in ``meta``."""
    features, heads = model.features, model.heads
    meta = {
        "format": FORMAT,
        "version": model.version, "created_at": model.created_at, "training_size": model.training_size,
        "metrics": model.metrics, "sources": model.sources,
        "features": {"config": asdict(features.config),
                     "lexicon_categories": list(features.lexicon_categories),
                     "words": features.words.terms(), "chars": features.chars.terms()},
        "heads": [{"name": name, "classes": [str(c) for c in spec.classes], "link": spec.link,
                   "cuts": [list(cut) for cut in spec.cuts]} for name, spec in heads.specs.items()],
        "effects": {category: asdict(effect) for category, effect in model.effects.items()},
        "lexicon": [[e.word, e.category, e.weight] for e in model.lexicon.entries],
        "segmenter": list(model.segmenter.words),
    }
    encoded = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    np.savez(fh, meta=encoded, words_idf=features.words.idf, chars_idf=features.chars.idf,
             weights=heads.weights, intercept=heads.intercept, slope=heads.slope, offset=heads.offset)


def load(path: Path | str) -> ServingModel:
    """Read a file :func:`dump` wrote; :class:`StaleServingForm` if it has another format."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(data["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise StaleServingForm(str(path))
        arrays = {name: data[name] for name in data.files if name != "meta"}
    f = meta["features"]
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in f["config"].items()}
    config = FeatureConfig(**values)
    features = Features(
        config,
        Vocabulary({t: j for j, t in enumerate(f["words"])}, arrays["words_idf"]),
        Vocabulary({t: j for j, t in enumerate(f["chars"])}, arrays["chars_idf"]),
        tuple(f["lexicon_categories"]))
    specs = {h["name"]: HeadSpec(np.asarray(h["classes"]), h["link"], tuple((a, b) for a, b in h["cuts"]))
             for h in meta["heads"]}
    heads = HeadStack(arrays["weights"], arrays["intercept"], arrays["slope"], arrays["offset"], specs)
    lexicon = Lexicon([Entry(word, category, weight) for word, category, weight in meta["lexicon"]])
    return ServingModel(
        features, heads, segmenter=Segmenter(meta["segmenter"]), lexicon=lexicon,
        effects={category: Effect(**effect) for category, effect in meta["effects"].items()},
        version=meta["version"], created_at=meta["created_at"], training_size=meta["training_size"],
        metrics=meta["metrics"], sources=meta["sources"])
