import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kesu.triage import service
from kesu.triage.core import store


def run(*args, stdin=None):
    out = io.StringIO()
    with translation.override("en"):
        kwargs = {"stdout": out}
        if stdin is not None:
            kwargs["stdin"] = io.StringIO(stdin)
        call_command("triage", *args, **kwargs)
    return out.getvalue()


@pytest.fixture()
def sentiment_csv(tmp_path):
    path = tmp_path / "reviews.csv"
    rows = [("很好用,推荐", "1"), ("质量太差了", "0"), ("物流很快,满意", "1"), ("坏了,退货", "0"),
            ("不错不错", "1"), ("垃圾产品", "0"), ("服务周到", "1"), ("客服不理人", "0"), ("", "1"),
            ("还行", "9")]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["review", "label"])
        writer.writerows(rows)
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({"1": "positive", "0": "negative"}), encoding="utf-8")
    return path, label_map


def test_train_starter_then_predict_versions_use(tmp_path):
    root = tmp_path / "models"
    out = run("train", "--starter", "--out", str(root))
    version = store.current_version(root)
    assert version is not None
    assert f"Model {version} trained on 648 examples" in out
    assert "kind: accuracy" in out

    stdin = '{"text": "牛奶喝了拉肚子住院了"}\n\n{"id": "b", "text": "挺好", "customer_level": "vip"}\n'
    lines = run("predict", "--root", str(root), stdin=stdin).splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["kind"]["code"] == "complaint"
    assert first["severity"]["code"] == "serious"
    assert set(first) >= {"kind", "category", "validity", "severity", "priority", "sentiment", "risk_words"}
    assert first["risk_words"] == ["拉肚子", "住院"]
    assert first["crisis"] is True
    assert first["reasons"][0]["text"] == "Harm to a person is mentioned (拉肚子): severity at least Serious."
    assert second["id"] == "b"
    assert second["kind"]["code"] == "praise"
    assert "拉肚子" in lines[0]  # ensure_ascii=False

    out = run("versions", "--root", str(root))
    assert out.startswith(f"* {version}")


def test_train_from_csv_with_label_map_and_evaluate(tmp_path, sentiment_csv):
    root = tmp_path / "models"
    path, label_map = sentiment_csv
    out = run("train", "--csv", str(path), "--text-column", "review", "--label-column", "label",
              "--field", "sentiment", "--label-map", str(label_map), "--out", str(root))
    assert "reviews.csv: 8 examples, 2 rows skipped" in out
    model = store.load(root)
    assert model.fields == ("sentiment",)
    assert model.training_size == 8

    out = run("evaluate", "--csv", str(path), "--text-column", "review", "--label-column", "label",
              "--field", "sentiment", "--label-map", str(label_map), "--root", str(root))
    assert f"Model {model.version}" in out
    assert "sentiment: n=8 accuracy=1.000 macro-F1=1.000" in out
    assert "negative" in out and "positive" in out


def test_use_switches_the_current_version(tmp_path, sentiment_csv):
    root = tmp_path / "models"
    path, label_map = sentiment_csv
    common = ["--csv", str(path), "--text-column", "review", "--label-column", "label",
              "--field", "sentiment", "--label-map", str(label_map), "--out", str(root)]
    run("train", *common)
    first = store.current_version(root)
    run("train", *common, "--keep-current")
    assert store.current_version(root) == first
    other = next(m["version"] for m in store.list_versions(root) if m["version"] != first)
    assert run("use", other, "--root", str(root)).strip() == f"Model {other} is now current."
    assert store.current_version(root) == other


def test_errors_are_clear_and_change_nothing(tmp_path, sentiment_csv):
    root = tmp_path / "models"
    path, _map = sentiment_csv
    with pytest.raises(CommandError, match="--starter, --csv FILE"):
        run("train", "--out", str(root))
    with pytest.raises(CommandError, match="--label-column and --field"):
        run("train", "--csv", str(path), "--out", str(root))
    with pytest.raises(CommandError, match="no column"):
        run("train", "--csv", str(path), "--label-column", "stars", "--field", "sentiment",
            "--out", str(root))
    with pytest.raises(CommandError, match="No triage model"):
        run("predict", "--root", str(root), stdin='{"text": "x"}\n')
    assert store.list_versions(root) == []


def test_predict_refuses_bad_lines(tmp_path, starter_model):
    store.save(starter_model, tmp_path)
    with pytest.raises(CommandError, match="Line 2"):
        run("predict", "--root", str(tmp_path), stdin='{"text": "好"}\n["not an object"]\n')


def test_default_root_is_in_the_data_dir(settings, tmp_path, starter_model):
    settings.DATA_DIR = tmp_path
    assert service.models_root() == tmp_path / "triage" / "models"
    store.save(starter_model, service.models_root())
    assert service.suggest("面包发霉了").code("severity") == "major"
    assert "test-starter" in run("versions")
