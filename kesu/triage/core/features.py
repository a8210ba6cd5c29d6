"""Features: word n-grams + character n-grams (TF-IDF) + lexicon counts, one sparse matrix.

Why both word and character n-grams: jieba's words carry meaning (态度 差, 不 新鲜) but a
typo or an unknown product name breaks them, while character 1–3-grams survive typos,
traditional leftovers and brand names. Lexicon counts give the risk categories (harm,
hazard, media …) a direct, dense signal that a few hundred examples could not learn alone.
A length bucket (``__len_s`` …) helps validity: vague feedback (挺好, 不错) is short.

This module is the training side: scikit-learn's ``TfidfVectorizer`` learns the vocabularies
and idf weights. Turning docs into feature rows is :class:`kesu.triage.core.serving.Features`
(numpy only), for training and prediction alike; a test checks it equals ``transform``.
Every text is normalised, segmented and matched against the lexicon exactly once
(:func:`~kesu.triage.core.serving.prepare`); the prepared :class:`Doc` is reused by the rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from kesu.triage.core.lexicon import Lexicon
from kesu.triage.core.segment import Segmenter

# FeatureConfig and the analyzers are referenced by name from pickled models (``features.…``).
from kesu.triage.core.serving import Doc, FeatureConfig, Features, Vocabulary, prepare, word_grams

__all__ = ["Doc", "FeatureConfig", "Featurizer", "WordAnalyzer", "doc_text"]


class WordAnalyzer:
    """Word n-grams of a :class:`Doc` plus its length bucket (module level, so it pickles)."""

    def __init__(self, ngrams: tuple[int, int]) -> None:
        self.ngrams = ngrams

    def __call__(self, doc: Doc) -> list[str]:
        return word_grams(doc, self.ngrams)


def doc_text(doc: Doc) -> str:
    return doc.text


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
        return prepare(texts, self.segmenter, self.lexicon)

    def fit(self, docs: Sequence[Doc]) -> Featurizer:
        self.words.fit(docs)
        self.chars.fit(docs)
        return self

    def features(self) -> Features:
        """The fitted vocabularies as plain data (shared, not copied): what prediction uses."""
        return Features(self.config, Vocabulary(self.words.vocabulary_, self.words.idf_),
                        Vocabulary(self.chars.vocabulary_, self.chars.idf_), self.lexicon_categories)

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        """:meth:`Features.rows` as one CSR matrix (column indices sorted)."""
        features = self.features()
        indptr, cols, vals = features.rows(docs)
        X = sp.csr_matrix((vals, cols, indptr), shape=(len(docs), features.n_features), dtype=np.float32)
        X.sort_indices()
        return X

    def fit_transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        return self.fit(docs).transform(docs)

    @property
    def n_features(self) -> int:
        return self.features().n_features
