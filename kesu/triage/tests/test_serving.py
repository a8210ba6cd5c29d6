"""The serving form (ADR 0011): saved with every version, the same predictions, no scikit-learn."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kesu.triage.core import FIELDS, serving, store

TEXTS = ["蛋糕里有根头发,我要投诉到12315", "挺好", "请问可以开发票吗", "孩子吃了你们的饼干过敏住院了", "",
         "快递太慢了，一个星期还没送到"]


def full(triages):
    """Everything a triage says, confidences unrounded."""
    return [t.to_dict() | {name: (p.code, p.confidence) for name in FIELDS if (p := t.get(name))}
            for t in triages]


def test_saved_serving_form_predicts_exactly_like_the_trained_model(tmp_path, starter_model):
    path = store.save(starter_model, tmp_path)
    assert (path / store.SERVING_FILE).is_file()
    loaded = store.load_serving(tmp_path)
    assert (loaded.version, loaded.fields, loaded.training_size) == (
        starter_model.version, starter_model.fields, starter_model.training_size)
    assert loaded.sources == starter_model.sources
    levels, repeats = ["vip", None, None, None, None, "vip"], [0, 1, 0, 3, 0, 2]
    expected = starter_model.predict_many(TEXTS, customer_levels=levels, repeats=repeats)
    assert full(loaded.predict_many(TEXTS, customer_levels=levels, repeats=repeats)) == full(expected)
    assert full([loaded.predict(TEXTS[0], customer_level="vip")]) == full(expected[:1])


def test_a_version_without_serving_form_gets_one_on_first_load(tmp_path, starter_model):
    path = store.save(starter_model, tmp_path)
    (path / store.SERVING_FILE).unlink()
    assert full(store.load_serving(tmp_path).predict_many(TEXTS)) == full(starter_model.predict_many(TEXTS))
    assert (path / store.SERVING_FILE).is_file()
    assert sorted(p.name for p in path.iterdir()) == ["manifest.json", "model.joblib", "serving.npz"]


def test_upgrade_writes_every_missing_serving_form(tmp_path, starter_examples):
    from kesu.triage.core.train import TrainConfig, train_model

    for version in ("v1", "v2"):
        model = train_model(starter_examples[:60], config=TrainConfig(cv_folds=0), version=version,
                            fields=["kind"])
        (store.save(model, tmp_path) / store.SERVING_FILE).unlink()
    store.ensure_serving_forms(tmp_path)
    assert [(tmp_path / v / store.SERVING_FILE).is_file() for v in ("v1", "v2")] == [True, True]
    assert store.load_serving(tmp_path, "v1").fields == ("kind",)


def test_a_serving_form_of_another_format_is_rebuilt(tmp_path, starter_model, monkeypatch):
    path = store.save(starter_model, tmp_path)
    monkeypatch.setattr(serving, "FORMAT", serving.FORMAT + 1)
    with pytest.raises(serving.StaleServingForm):
        serving.load(path / store.SERVING_FILE)
    assert store.load_serving(tmp_path).predict("挺好").code("kind") == "praise"
    with np.load(path / store.SERVING_FILE, allow_pickle=False) as data:
        assert json.loads(data["meta"].tobytes())["format"] == serving.FORMAT


# A web process as gunicorn starts it: the WSGI app, every URL's views and the API imported, then a
# triage through the service (the model is on disk, in its serving form). Nor does it import the
# rjieba package, whose default jieba instance kesu does not use (only its compiled module).
WEB_PROCESS = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "kesu.settings"
from kesu.wsgi import application
from django.urls import get_resolver
get_resolver()._populate()
from kesu.triage import service
triage = service.suggest("蛋糕里有根头发,我要投诉到12315")
many = service.suggest_many(["挺好", "请问可以开发票吗"])
print(triage.code("category"), [t.code("kind") for t in many])
heavy = {m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy", "joblib"}
print(sorted(heavy), "rjieba" in sys.modules)
"""


def test_a_web_process_triages_without_scikit_learn_scipy_or_joblib(tmp_path, starter_model):
    store.save(starter_model, tmp_path / "data" / "triage" / "models")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KESU_", "DJANGO_"))}
    env["KESU_DATA_DIR"] = str(tmp_path / "data")
    out = subprocess.run([sys.executable, "-c", WEB_PROCESS], capture_output=True, text=True, env=env,
                         check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[-2] == "product_quality ['praise', 'inquiry']"
    assert lines[-1] == "[] False"
