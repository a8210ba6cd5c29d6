"""Features: word n-grams + character n-grams (TF-IDF) + lexicon counts, one sparse matrix.

Why both word and character n-grams: jieba's words carry meaning (态度 差, 不 新鲜) but a
typo or an unknown product name breaks them, while character 1–3-grams survive typos,
traditional leftovers and brand names. Lexicon counts give the risk categories (harm,
hazard, media …) a direct, dense signal that a few hundred examples could not learn alone.
A length bucket (``__len_s`` …) helps validity: vague feedback (挺好, 不错) is short.

Every text is normalised, segmented and matched against the lexicon exactly once
(:meth:`Featurizer.prepare`); the prepared :class:`Doc` is reused by the rules at predict time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from kesu.triage.core.lexicon import Hit, Lexicon
from kesu.triage.core.normalize import normalize
from kesu.triage.core.segment import Segmenter


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


def length_token(text: str) -> str:
    n = len(text)
    return "__len_xs" if n <= 4 else "__len_s" if n <= 10 else "__len_m" if n <= 40 else "__len_l"


class WordAnalyzer:
    """Word n-grams of a :class:`Doc` plus its length bucket (module level, so it pickles)."""

    def __init__(self, ngrams: tuple[int, int]) -> None:
        self.ngrams = ngrams

    def __call__(self, doc: Doc) -> list[str]:
        tokens = list(doc.tokens)
        out = [length_token(doc.text)]
        lo, hi = self.ngrams
        for n in range(lo, hi + 1):
            if n == 1:
                out.extend(tokens)
            else:
                out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return out


def doc_text(doc: Doc) -> str:
    return doc.text


def tfidf(vectorizer: TfidfVectorizer, docs: Sequence[Doc]) -> sp.csr_matrix:
    """``vectorizer.transform(docs)`` without scikit-learn's per-call validation.

    Same arithmetic (counts of known n-grams, optional 1 + log tf, × idf, l2 row norm),
    checked against ``transform`` by a test; about 1 ms less per call, which is most of the
    cost of triaging one short text.
    """
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    indptr: list[int] = [0]
    indices: list[int] = []
    counts: list[int] = []
    for doc in docs:
        row: dict[int, int] = {}
        for gram in analyze(doc):
            j = vocabulary.get(gram)
            if j is not None:
                row[j] = row.get(j, 0) + 1
        indices.extend(row)
        counts.extend(row.values())
        indptr.append(len(indices))
    data = np.asarray(counts, dtype=np.float64)
    cols = np.asarray(indices, dtype=np.int32)
    if vectorizer.sublinear_tf:
        data = np.log(data) + 1.0
    data *= vectorizer.idf_[cols]
    X = sp.csr_matrix((data, cols, np.asarray(indptr, dtype=np.int32)), shape=(len(docs), len(vocabulary)))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, np.diff(X.indptr))
    return X.astype(np.float32)


def tfidf_row(vectorizer: TfidfVectorizer, analyze: Any, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
    """One row of :func:`tfidf` as (column indices, float32 values), without a sparse matrix.

    The same arithmetic on the same counts; for one text scipy's fixed cost per operation
    (matrix construction, ``multiply``, ``sum``, ``astype``, ``hstack``) is most of the time.
    """
    vocabulary = vectorizer.vocabulary_
    row: dict[int, int] = {}
    for gram in analyze(doc):
        j = vocabulary.get(gram)
        if j is not None:
            row[j] = row.get(j, 0) + 1
    cols = np.fromiter(row, dtype=np.int64, count=len(row))
    data = np.fromiter(row.values(), dtype=np.float64, count=len(row))
    if vectorizer.sublinear_tf:
        data = np.log(data) + 1.0
    data *= vectorizer.idf_[cols]
    norm = np.sqrt((data * data).sum())
    if norm:
        data /= norm
    return cols, data.astype(np.float32)


class Featurizer:
    """Fits TF-IDF vocabularies on training docs and turns docs into one CSR matrix."""

    def __init__(self, config: FeatureConfig, segmenter: Segmenter, lexicon: Lexicon) -> None:
        self.config = config
        self.segmenter = segmenter
        self.lexicon = lexicon
        self.lexicon_categories: tuple[str, ...] = lexicon.categories
        common = {"min_df": config.min_df, "max_features": config.max_features,
                  "sublinear_tf": config.sublinear_tf, "dtype": np.float32}
        self.words = TfidfVectorizer(analyzer=WordAnalyzer(config.word_ngrams), **common)
        self.chars = TfidfVectorizer(analyzer="char", ngram_range=config.char_ngrams, lowercase=False,
                                     preprocessor=doc_text, **common)

    def prepare(self, texts: Sequence[str]) -> list[Doc]:
        docs = []
        for raw in texts:
            text = normalize(raw)
            docs.append(Doc(text, tuple(self.segmenter.cut(text)), tuple(self.lexicon.find(text))))
        return docs

    def fit(self, docs: Sequence[Doc]) -> Featurizer:
        self.words.fit(docs)
        self.chars.fit(docs)
        return self

    def lexicon_block(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        """Per category: log(1 + weighted non-negated hits); last column: negated hits."""
        index = {c: i for i, c in enumerate(self.lexicon_categories)}
        width = len(index) + 1
        rows, cols, vals = [], [], []
        for r, doc in enumerate(docs):
            sums: dict[int, float] = {}
            for hit in doc.hits:
                col = width - 1 if hit.negated else index.get(hit.category)
                if col is not None:
                    sums[col] = sums.get(col, 0.0) + (1.0 if hit.negated else hit.weight)
            for col, total in sums.items():
                rows.append(r)
                cols.append(col)
                vals.append(np.log1p(total) * self.config.lexicon_weight)
        return sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                             shape=(len(docs), width), dtype=np.float32)

    def row(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """``transform([doc])``'s non-zero columns and values (float32), built without scipy."""
        analyzers = getattr(self, "_analyzers", None)
        if analyzers is None:  # built once per loaded model (not pickled: see __getstate__)
            analyzers = self._analyzers = (self.words.build_analyzer(), self.chars.build_analyzer())
        words_cols, words_vals = tfidf_row(self.words, analyzers[0], doc)
        chars_cols, chars_vals = tfidf_row(self.chars, analyzers[1], doc)
        lexicon = self.lexicon_block([doc])
        offset = len(self.words.vocabulary_)
        lex_offset = offset + len(self.chars.vocabulary_)
        lex_cols = lexicon.indices.astype(np.int64) + lex_offset
        cols = np.concatenate([words_cols, chars_cols + offset, lex_cols])
        vals = np.concatenate([words_vals, chars_vals, lexicon.data.astype(np.float32)])
        return cols, vals

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_analyzers"}

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        blocks = [tfidf(self.words, docs), tfidf(self.chars, docs), self.lexicon_block(docs)]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def fit_transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        return self.fit(docs).transform(docs)

    @property
    def n_features(self) -> int:
        return (len(self.words.vocabulary_) + len(self.chars.vocabulary_)
                + len(self.lexicon_categories) + 1)
