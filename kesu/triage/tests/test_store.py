import json

import pytest

from kesu.triage.core import store
from kesu.triage.core.train import TrainConfig, train_model


def test_save_load_round_trip(tmp_path, starter_model):
    path = store.save(starter_model, tmp_path)
    assert path == tmp_path / "test-starter"
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == "test-starter"
    assert manifest["training_size"] == starter_model.training_size
    assert manifest["fields"] == list(starter_model.fields)
    assert manifest["sources"] == {"starter": starter_model.training_size}
    loaded = store.load(tmp_path)
    text = "蛋糕里有根头发,我要投诉到12315"
    assert loaded.predict(text).to_dict() == starter_model.predict(text).to_dict()
    assert store.current_version(tmp_path) == "test-starter"


def test_versions_current_and_refusals(tmp_path, starter_examples):
    config = TrainConfig(cv_folds=0)
    one = train_model(starter_examples[:60], config=config, version="v1", fields=["kind"])
    two = train_model(starter_examples[:60], config=config, version="v2", fields=["kind"])
    store.save(one, tmp_path)
    store.save(two, tmp_path, make_current=False)
    assert [m["version"] for m in store.list_versions(tmp_path)] == ["v1", "v2"]
    assert store.current_version(tmp_path) == "v1"
    store.set_current(tmp_path, "v2")
    assert store.load(tmp_path).version == "v2"
    assert store.load(tmp_path, "v1").version == "v1"
    with pytest.raises(FileExistsError):
        store.save(one, tmp_path)
    for bad in ("v3", "../v1", ""):
        with pytest.raises(store.ModelNotFound):
            store.load(tmp_path, bad or "..")
    with pytest.raises(store.ModelNotFound):
        store.set_current(tmp_path, "v3")
    assert store.current_version(tmp_path) == "v2"


def test_empty_root(tmp_path):
    assert store.list_versions(tmp_path / "none") == []
    assert store.current_version(tmp_path) is None
    with pytest.raises(store.ModelNotFound):
        store.load(tmp_path)
