import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from kesu.triage.core.features import FeatureConfig, Featurizer
from kesu.triage.core.heads import LinearHead
from kesu.triage.core.lexicon import Lexicon
from kesu.triage.core.segment import Segmenter


def matrix(examples):
    featurizer = Featurizer(FeatureConfig(), Segmenter(), Lexicon.from_dir())
    return featurizer.fit_transform(featurizer.prepare([e.text for e in examples]))


def check(est, X, y):
    est.fit(X, y)
    head = LinearHead.from_estimator(est)
    assert list(head.classes_) == list(est.classes_)
    np.testing.assert_allclose(head.predict_proba(X), est.predict_proba(X), atol=1e-5)


def test_head_matches_calibrated_svm_multiclass_and_binary(starter_examples):
    X = matrix(starter_examples)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    for name in ("kind", "validity"):
        y = [e.labels[name] for e in starter_examples]
        check(CalibratedClassifierCV(LinearSVC(class_weight="balanced"), method="sigmoid", cv=folds), X, y)


def test_head_matches_logistic_regression_multiclass_and_binary(starter_examples):
    X = matrix(starter_examples)
    for name in ("severity", "validity"):
        y = [e.labels[name] for e in starter_examples]
        check(LogisticRegression(max_iter=2000), X, y)


def test_head_matches_calibrated_nbsvm_and_folds_the_scaling(starter_examples):
    from kesu.triage.core.nbsvm import NBSVC

    X = matrix(starter_examples)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    for name in ("category", "validity"):
        y = [e.labels[name] for e in starter_examples]
        check(CalibratedClassifierCV(NBSVC(C=1.0), method="sigmoid", cv=folds), X, y)
    y = np.array([e.labels["validity"] for e in starter_examples])
    model = NBSVC().fit(X, y)
    assert model.coef_.shape == (1, X.shape[1])
    assert (model.predict(X) == y).mean() > 0.95


def test_fast_tfidf_equals_scikit_learn(starter_examples):
    from kesu.triage.core.features import tfidf

    featurizer = Featurizer(FeatureConfig(), Segmenter(), Lexicon.from_dir())
    docs = featurizer.prepare([e.text for e in starter_examples])
    featurizer.fit(docs[:400])
    for vectorizer in (featurizer.words, featurizer.chars):
        expected = vectorizer.transform(docs[400:]).toarray()
        np.testing.assert_allclose(tfidf(vectorizer, docs[400:]).toarray(), expected, rtol=1e-5, atol=1e-6)
    assert tfidf(featurizer.words, []).shape == (0, len(featurizer.words.vocabulary_))


def test_stack_equals_each_head(starter_model, starter_examples):
    from kesu.triage.core.heads import HeadStack

    docs = starter_model.featurizer.prepare([e.text for e in starter_examples[:50]])
    X = starter_model.featurizer.transform(docs)
    stacked = HeadStack(starter_model.classifiers).predict_proba(X)
    assert set(stacked) == set(starter_model.fields)
    for name, head in starter_model.classifiers.items():
        np.testing.assert_allclose(stacked[name], head.predict_proba(X), atol=1e-6)


def test_one_text_path_equals_the_matrix_path_and_scikit_learn(starter_model, starter_examples):
    """Intake's single-text shortcut (no sparse matrices) gives the matrix path's numbers, which
    are the fitted estimators' ``predict_proba`` (the heads tests above)."""
    texts = [e.text for e in starter_examples[:60]] + ["", "挺好", "發霉了！！！！我要投诉到12315"]
    docs = starter_model.featurizer.prepare(texts)
    X = starter_model.featurizer.transform(docs)
    stack = starter_model.stack()
    together = stack.predict_proba(X)
    for i, doc in enumerate(docs):
        cols, vals = starter_model.featurizer.row(doc)
        np.testing.assert_array_equal(np.sort(cols), X[i].indices)
        np.testing.assert_allclose(vals[np.argsort(cols)], X[i].data, rtol=1e-6)
        alone = stack.predict_proba_row(cols, vals)
        for name, proba in together.items():
            np.testing.assert_allclose(alone[name][0], proba[i], rtol=1e-5, atol=1e-7)
        raw = starter_model.predict_raw([doc])
        for name, (codes, conf) in starter_model.predict_raw(docs[i:i + 2]).items():
            assert raw[name][0][0] == codes[0]
            assert abs(raw[name][1][0] - conf[0]) < 1e-6
