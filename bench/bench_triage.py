"""Benchmark kesu's Chinese triage on real, labelled public reviews (SPEC TR-2, TR-4, TR-6).

Reads ``/work/shared/data`` (or ``--data``) at run time; nothing from it is copied into the
repository, and the models trained on it live only in memory (the starter model, trained
from kesu's own sentences, is written under ``--out``, default ``bench/out/triage``).

Every task: stratified 80/20 split with ``random_state=0``; the classifier's C (and, for
binary/multi-label tasks, the decision threshold) is chosen on the training 80% only —
a validation split carved from it (online_shopping) or 5-fold cross-validated predictions
(the small zhijiang set) — never on the test 20%. Then the model is refitted on the whole
80% and scored once on the 20%.

Tasks:
* online_shopping_10_cats: complaint-vs-praise (sentiment) accuracy and macro-F1.
* zhijiang2019: ``has_negative`` macro-F1; vague-only (``only_overall``) macro-F1; aspect
  categories mapped to kesu's general codes (multi-label), micro/macro-F1; the 13 raw
  categories too, for comparison with the README's baseline.
* The starter model (kesu's own ~650 sentences, no shared data) on the same test splits.
* Speed of the starter model on one core: latency p50/p95 per text, batch texts/s, and the
  memory of a loaded model (RSS growth of a fresh process loading it).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_triage.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The triage core needs no Django: load it without kesu/__init__ (which starts Celery/Django).
_pkg = types.ModuleType("kesu")
_pkg.__path__ = [str(ROOT / "kesu")]
sys.modules.setdefault("kesu", _pkg)

import numpy as np  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, train_test_split  # noqa: E402

from kesu.triage.core import store  # noqa: E402
from kesu.triage.core.features import Doc, FeatureConfig, Featurizer  # noqa: E402
from kesu.triage.core.heads import LinearHead  # noqa: E402
from kesu.triage.core.lexicon import Lexicon  # noqa: E402
from kesu.triage.core.model import TriageModel  # noqa: E402
from kesu.triage.core.nbsvm import NBSVC  # noqa: E402
from kesu.triage.core.segment import Segmenter, read_words  # noqa: E402
from kesu.triage.core.train import TrainConfig, load_starter, train_model  # noqa: E402

SEED = 0
C_GRID = (0.1, 0.3, 1.0)
THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.025), 3)
GENERAL = {  # zhijiang aspect → kesu general category (data README); 整体 alone → vague
    "物流": "delivery", "包装": "packaging", "价格": "price", "服务": "service_attitude",
    "真伪": "product_quality", "功效": "product_quality", "使用体验": "product_quality",
    "成分": "product_quality", "气味": "product_quality", "尺寸": "product_quality",
    "新鲜度": "product_quality", "其他": "other",
}
GENERAL_CODES = ("product_quality", "delivery", "packaging", "price", "service_attitude", "other")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Features:
    """Documents prepared once per data set; the TF-IDF vocabulary is fitted on training rows only."""

    def __init__(self, texts: Sequence[str], config: FeatureConfig) -> None:
        lexicon = Lexicon.from_dir()
        self.featurizer = Featurizer(config, Segmenter([*read_words(), *lexicon.words]), lexicon)
        self.docs: list[Doc] = self.featurizer.prepare(texts)

    def fit(self, rows: np.ndarray) -> Callable[[np.ndarray], Any]:
        featurizer = Featurizer(self.featurizer.config, self.featurizer.segmenter, self.featurizer.lexicon)
        featurizer.fit([self.docs[i] for i in rows])
        return lambda idx: featurizer.transform([self.docs[i] for i in idx])


def calibrated(C: float) -> CalibratedClassifierCV:
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    return CalibratedClassifierCV(NBSVC(C=C, class_weight="balanced"), method="sigmoid", cv=folds)


def fit_binary(X: Any, y: np.ndarray, C: float) -> LinearHead:
    return LinearHead.from_estimator(calibrated(C).fit(X, y))


def best_threshold(y: np.ndarray, p: np.ndarray, metric: str) -> tuple[float, float]:
    scores = [(score(y, (p >= t).astype(int), metric), -abs(t - 0.5), t) for t in THRESHOLDS]
    best = max(scores)
    return float(best[2]), float(best[0])


def score(y: np.ndarray, pred: np.ndarray, metric: str) -> float:
    if metric == "accuracy":
        return float(accuracy_score(y, pred))
    if metric == "f1_pos":
        return float(f1_score(y, pred, zero_division=0))
    return float(f1_score(y, pred, average="macro", zero_division=0))


def cv_probabilities(X: Any, y: np.ndarray, C: float) -> np.ndarray:
    """Out-of-fold P(class 1) on the training rows (5 folds) — for choosing C and the threshold."""
    out = np.zeros(len(y))
    for fit_idx, val_idx in StratifiedKFold(5, shuffle=True, random_state=SEED).split(X, y):
        out[val_idx] = fit_binary(X[fit_idx], y[fit_idx], C).predict_proba(X[val_idx])[:, 1]
    return out


def tune_binary_cv(X: Any, y: np.ndarray, metric: str) -> tuple[float, float, float]:
    """(C, threshold, cross-validated score) chosen on the training rows only."""
    best = (-1.0, 0.0, 0.0)
    for C in C_GRID:
        t, s = best_threshold(y, cv_probabilities(X, y, C), metric)
        if s > best[0]:
            best = (s, C, t)
    return best[1], best[2], best[0]


def binary_task(features: Features, y: np.ndarray, metric: str, name: str) -> dict[str, Any]:
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=SEED)
    transform = features.fit(train)
    Xtr, Xte = transform(train), transform(test)
    C, threshold, cv_score = tune_binary_cv(Xtr, y[train], metric)
    head = fit_binary(Xtr, y[train], C)
    pred = (head.predict_proba(Xte)[:, 1] >= threshold).astype(int)
    log(f"{name}: C={C} threshold={threshold} cv {metric}={cv_score:.3f}")
    return {"train": len(train), "test": len(test), "C": C, "threshold": threshold,
            "accuracy": score(y[test], pred, "accuracy"), "macro_f1": score(y[test], pred, "macro_f1"),
            "test_rows": test}


def sentiment_task(rows: list[dict[str, str]]) -> dict[str, Any]:
    """online_shopping: C and threshold on a validation split carved from the training 80%."""
    y = np.array([int(r["label"]) for r in rows])
    features = Features([r["text"] for r in rows], FeatureConfig(min_df=2))
    log("online_shopping: features prepared")
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=SEED)
    fit_rows, val_rows = train_test_split(train, test_size=0.1, stratify=y[train], random_state=SEED)
    transform = features.fit(fit_rows)
    Xfit, Xval = transform(fit_rows), transform(val_rows)
    best = (-1.0, 0.0, 0.5)
    for C in C_GRID:
        p = fit_binary(Xfit, y[fit_rows], C).predict_proba(Xval)[:, 1]
        t, s = best_threshold(y[val_rows], p, "accuracy")
        log(f"online_shopping: C={C} validation accuracy {s:.4f} at threshold {t}")
        if s > best[0]:
            best = (s, C, t)
    _, C, threshold = best
    transform = features.fit(train)
    head = fit_binary(transform(train), y[train], C)
    pred = (head.predict_proba(transform(test))[:, 1] >= threshold).astype(int)
    return {"train": len(train), "test": len(test), "C": C, "threshold": threshold,
            "accuracy": score(y[test], pred, "accuracy"), "macro_f1": score(y[test], pred, "macro_f1"),
            "test_rows": test}


def multilabel_task(features: Features, Y: np.ndarray, labels: Sequence[str], strata: np.ndarray,
                    name: str) -> dict[str, Any]:
    """One calibrated binary classifier per label; C and threshold per label by CV on the training rows."""
    train, test = train_test_split(np.arange(len(Y)), test_size=0.2, stratify=strata, random_state=SEED)
    transform = features.fit(train)
    Xtr, Xte = transform(train), transform(test)
    pred = np.zeros((len(test), len(labels)), dtype=int)
    for j, label in enumerate(labels):
        ytr = Y[train, j]
        if ytr.sum() < 10:  # too rare to calibrate or tune: never predicted
            log(f"{name}: {label} has {ytr.sum()} training examples, skipped")
            continue
        C, threshold, _ = tune_binary_cv(Xtr, ytr, "f1_pos")
        pred[:, j] = fit_binary(Xtr, ytr, C).predict_proba(Xte)[:, 1] >= threshold
    return {"train": len(train), "test": len(test), "labels": list(labels), "test_rows": test,
            "micro_f1": float(f1_score(Y[test], pred, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(Y[test], pred, average="macro", zero_division=0)),
            "per_label": {lab: float(f1_score(Y[test, j], pred[:, j], zero_division=0))
                          for j, lab in enumerate(labels)}}


def starter_scores(model: TriageModel, texts: Sequence[str], sentiment: np.ndarray, has_negative_texts:
                   Sequence[str], has_negative: np.ndarray, vague_texts: Sequence[str], vague: np.ndarray,
                   cat_texts: Sequence[str], cats: np.ndarray) -> dict[str, Any]:
    """The starter model (own sentences only) on the same test rows, mapped to each task's labels."""
    out: dict[str, Any] = {}
    head = model.classifiers["sentiment"]
    proba = head.predict_proba(model.featurizer.transform(model.featurizer.prepare(list(texts))))
    classes = list(head.classes_)
    pos, neg = proba[:, classes.index("positive")], proba[:, classes.index("negative")]
    pred = (pos > neg).astype(int)
    out["sentiment"] = {"accuracy": score(sentiment, pred, "accuracy"),
                        "macro_f1": score(sentiment, pred, "macro_f1")}

    def raw(texts: Sequence[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        return model.predict_raw(model.featurizer.prepare(list(texts)))

    hn = np.array([c == "negative" for c in raw(has_negative_texts)["sentiment"][0]], int)
    out["has_negative"] = {"macro_f1": score(has_negative, hn, "macro_f1")}
    vg = np.array([c == "vague" for c in raw(vague_texts)["validity"][0]], int)
    out["vague"] = {"macro_f1": score(vague, vg, "macro_f1")}
    r = raw(cat_texts)
    pred_cats = np.zeros_like(cats)
    for i, (cat, validity) in enumerate(zip(r["category"][0], r["validity"][0], strict=True)):
        if validity == "specific" and cat in GENERAL_CODES:
            pred_cats[i, GENERAL_CODES.index(cat)] = 1
    out["category"] = {"micro_f1": float(f1_score(cats, pred_cats, average="micro", zero_division=0)),
                       "macro_f1": float(f1_score(cats, pred_cats, average="macro", zero_division=0))}
    return out


def speed(model: TriageModel, texts: Sequence[str], model_dir: Path) -> dict[str, Any]:
    model.predict(texts[0])
    lat = []
    for text in texts[:2000]:
        t0 = time.perf_counter()
        model.predict(text)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    batch = list(texts[:20000])
    t0 = time.perf_counter()
    for i in range(0, len(batch), 1000):
        model.predict_many(batch[i:i + 1000])
    elapsed = time.perf_counter() - t0
    probe = "\n".join([
        "import sys, types, psutil",
        "pkg = types.ModuleType('kesu'); pkg.__path__ = [{kesu!r}]; sys.modules['kesu'] = pkg",
        "from kesu.triage.core import store; import sklearn, scipy.sparse, rjieba, opencc",
        "p = psutil.Process(); before = p.memory_info().rss",
        "m = store.load({root!r}, {version!r}); m.predict('预热')",
        "print(p.memory_info().rss - before)",
    ]).format(kesu=str(ROOT / "kesu"), root=str(model_dir.parent), version=model_dir.name)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    rss = int(done.stdout)
    size = sum(f.stat().st_size for f in model_dir.iterdir())
    lengths = sorted(len(t) for t in texts[:2000])
    return {"p50_ms": lat[len(lat) // 2] * 1000, "p95_ms": lat[int(len(lat) * 0.95)] * 1000,
            "texts_per_s": len(batch) / elapsed, "rss_mb": rss / 2**20, "disk_mb": size / 2**20,
            "median_chars": lengths[len(lengths) // 2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "triage"))
    args = parser.parse_args()
    data, out = Path(args.data), Path(args.out)

    log("training the starter model (own sentences only)")
    starter = train_model(load_starter(), config=TrainConfig(cv_folds=0), version="bench-starter")
    starter_dir = out / "models" / starter.version
    if starter_dir.exists():
        for f in starter_dir.iterdir():
            f.unlink()
        starter_dir.rmdir()
    store.save(starter, out / "models")

    shop = read_csv(data / "online_shopping_10_cats.csv")
    shop = [r for r in shop if r["text"].strip()]
    log(f"online_shopping: {len(shop)} rows")
    sent = sentiment_task(shop)

    zj = read_csv(data / "zhijiang2019_cosmetics_aspects.csv")
    zj_texts = [r["text"] for r in zj]
    zfeat = Features(zj_texts, FeatureConfig(min_df=1))
    has_neg_y = np.array([int(r["has_negative"]) for r in zj])
    vague_y = np.array([int(r["only_overall"]) for r in zj])
    has_neg = binary_task(zfeat, has_neg_y, "macro_f1", "has_negative")
    vague = binary_task(zfeat, vague_y, "macro_f1", "vague")
    Y = np.array([[int(any(GENERAL.get(c) == code for c in r["categories"].split("|")))
                   for code in GENERAL_CODES] for r in zj])
    strata = np.array([r["only_overall"] for r in zj])
    cats = multilabel_task(zfeat, Y, GENERAL_CODES, strata, "category")
    raw_labels = [c[4:] for c in zj[0] if c.startswith("cat_")]
    Y13 = np.array([[int(r["cat_" + c]) for c in raw_labels] for r in zj])
    cats13 = multilabel_task(zfeat, Y13, raw_labels, strata, "category13")

    log("starter model on the same test rows")
    st = starter_scores(
        starter, [shop[i]["text"] for i in sent["test_rows"]],
        np.array([int(shop[i]["label"]) for i in sent["test_rows"]]),
        [zj_texts[i] for i in has_neg["test_rows"]], has_neg_y[has_neg["test_rows"]],
        [zj_texts[i] for i in vague["test_rows"]], vague_y[vague["test_rows"]],
        [zj_texts[i] for i in cats["test_rows"]], Y[cats["test_rows"]])

    log("speed of the starter model, one core")
    rng = np.random.default_rng(SEED)
    sample = [shop[i]["text"] for i in rng.permutation(len(shop))[:20000]]
    sp = speed(starter, sample, out / "models" / starter.version)

    rows = [
        ("online_shopping sentiment accuracy", sent["accuracy"], st["sentiment"]["accuracy"], 0.929, 0.94),
        ("online_shopping sentiment macro-F1", sent["macro_f1"], st["sentiment"]["macro_f1"], 0.929, None),
        ("zhijiang has_negative macro-F1", has_neg["macro_f1"], st["has_negative"]["macro_f1"], 0.521, 0.75),
        ("zhijiang vague-only macro-F1", vague["macro_f1"], st["vague"]["macro_f1"], 0.797, 0.85),
        ("zhijiang category (6 general) micro-F1", cats["micro_f1"], st["category"]["micro_f1"], None, None),
        ("zhijiang category (6 general) macro-F1", cats["macro_f1"], st["category"]["macro_f1"], None, 0.65),
        ("zhijiang 13 raw categories micro-F1", cats13["micro_f1"], None, 0.742, None),
        ("zhijiang 13 raw categories macro-F1", cats13["macro_f1"], None, 0.372, None),
    ]
    print()
    print(f"{'metric':42} {'tuned':>7} {'starter':>8} {'baseline':>9} {'target':>7}  ok")
    for name, tuned, start, base, target in rows:
        def fmt(v: float | None) -> str:
            return f"{v:.3f}" if v is not None else "-"
        ok = "" if target is None else ("PASS" if tuned >= target else "FAIL")
        print(f"{name:42} {fmt(tuned):>7} {fmt(start):>8} {fmt(base):>9} {fmt(target):>7}  {ok}")
    print()
    print("per-label F1 (6 general):", {k: round(v, 3) for k, v in cats["per_label"].items()})
    print(f"chosen on training data only: sentiment C={sent['C']} t={sent['threshold']}; "
          f"has_negative C={has_neg['C']} t={has_neg['threshold']}; "
          f"vague C={vague['C']} t={vague['threshold']}")
    print(f"starter model, one core (median text {sp['median_chars']} chars): "
          f"latency p50 {sp['p50_ms']:.2f} ms, p95 {sp['p95_ms']:.2f} ms (target ≤ 10); "
          f"batch {sp['texts_per_s']:,.0f} texts/s (target ≥ 2,000); "
          f"loaded model RSS +{sp['rss_mb']:.1f} MB, {sp['disk_mb']:.2f} MB on disk")
    result = {"tuned": {"sentiment": {k: v for k, v in sent.items() if k != "test_rows"},
                        "has_negative": {k: v for k, v in has_neg.items() if k != "test_rows"},
                        "vague": {k: v for k, v in vague.items() if k != "test_rows"},
                        "category": {k: v for k, v in cats.items() if k != "test_rows"},
                        "category13": {k: v for k, v in cats13.items() if k != "test_rows"}},
              "starter": st, "speed": sp}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=float),
                                      encoding="utf-8")


if __name__ == "__main__":
    main()
