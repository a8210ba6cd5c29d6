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


EDGE_TEXTS = ["", "挺好", "發霉了！！！！我要投诉到12315", "包装  破了\t\t 漏了", " 前后有空格 "]


def test_feature_rows_equal_scikit_learn(starter_examples):
    """``Features.rows`` (numpy, what predicts and what the training matrix is built from) gives
    the fitted vectorizers' ``transform``; its n-grams are their analyzers'."""
    from kesu.triage.core.serving import char_grams, word_grams

    featurizer = Featurizer(FeatureConfig(), Segmenter(), Lexicon.from_dir())
    docs = featurizer.prepare([e.text for e in starter_examples] + EDGE_TEXTS)
    featurizer.fit(docs[:400])
    config = featurizer.config
    for doc in docs:
        assert word_grams(doc, config.word_ngrams) == featurizer.words.build_analyzer()(doc)
        assert char_grams(doc, config.char_ngrams) == featurizer.chars.build_analyzer()(doc)
    X = featurizer.transform(docs[400:]).toarray()
    n_words, n_chars = len(featurizer.words.vocabulary_), len(featurizer.chars.vocabulary_)
    words, chars = featurizer.words.transform(docs[400:]), featurizer.chars.transform(docs[400:])
    np.testing.assert_allclose(X[:, :n_words], words.toarray(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(X[:, n_words:n_words + n_chars], chars.toarray(), rtol=1e-5, atol=1e-6)
    assert X.shape == (len(docs) - 400, featurizer.n_features)
    assert featurizer.transform([]).shape == (0, featurizer.n_features)


def test_stack_equals_each_head(starter_model, starter_examples):
    from kesu.triage.core.heads import HeadStack

    docs = starter_model.prepare([e.text for e in starter_examples[:50]] + EDGE_TEXTS)
    X = starter_model.featurizer.transform(docs)
    stack = HeadStack.from_heads(starter_model.classifiers)
    stacked = stack.proba_from_margins(stack.margins(*starter_model.featurizer.features().rows(docs)))
    assert set(stacked) == set(starter_model.fields)
    for name, head in starter_model.classifiers.items():
        np.testing.assert_allclose(stacked[name], head.predict_proba(X), rtol=1e-5, atol=1e-7)


def test_one_text_gets_the_same_numbers_alone_and_in_a_batch(starter_model, starter_examples):
    texts = [e.text for e in starter_examples[:40]] + EDGE_TEXTS
    serving = starter_model.serving()
    docs = serving.prepare(texts)
    together = serving.predict_raw(docs)
    for i, doc in enumerate(docs):
        alone = serving.predict_raw([doc])
        for name, (codes, conf) in together.items():
            assert alone[name][0] == [codes[i]]
            assert alone[name][1][0] == conf[i]


def test_numpy_links_equal_scipy():
    from scipy.special import expit as scipy_expit
    from scipy.special import softmax as scipy_softmax

    from kesu.triage.core.heads import expit, softmax

    x = np.array([-800.0, -40.0, -1.5, -1e-9, 0.0, 1e-9, 2.0, 40.0, 800.0])
    np.testing.assert_allclose(expit(x), scipy_expit(x), rtol=1e-15, atol=0)
    d = np.array([[1.0, 2.0, 3.0], [-700.0, 0.0, 700.0], [5.0, 5.0, 5.0]])
    np.testing.assert_allclose(softmax(d), scipy_softmax(d, axis=1), rtol=1e-15, atol=1e-300)
