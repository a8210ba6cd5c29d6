from django.utils import translation

from kesu.triage import service
from kesu.triage.core import store
from kesu.triage.core.rules import Reason
from kesu.triage.reasons import REASON_TEXTS, reason_text


def test_first_use_trains_the_starter_model(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    calls = []
    original = service.train

    def counting_train(**kw):
        calls.append(kw)
        return original(**kw)

    monkeypatch.setattr(service, "train", counting_train)
    triage = service.suggest("酸奶喝出一根头发")
    assert triage.code("severity") == "major"
    assert len(calls) == 1
    assert store.current_version(service.models_root()) == triage.model_version
    assert [t.code("kind") for t in service.suggest_many(["挺好", "请问几点开门"])] == ["praise", "inquiry"]
    assert len(calls) == 1


def test_extra_examples_are_added_to_training(settings, tmp_path, monkeypatch):
    from kesu.triage.core.train import Example, TrainConfig

    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(service, "extra_examples", lambda: [Example("叫号机坏了", {"category": "other"},
                                                                    source="confirmed")])
    result = service.train(root=tmp_path / "m", config=TrainConfig(cv_folds=0))
    assert result.model.sources["confirmed"] == 1


def test_reason_texts_in_english():
    with translation.override("en"):
        assert reason_text(Reason("priority.repeat", {"count": 2, "level": "urgent"})) == (
            "Repeat complaint (2 before): priority raised to Urgent.")
        assert reason_text(Reason("severity.hazard", {"word": "异物", "level": "major"})) == (
            "Something that could cause harm is mentioned (异物): severity at least Major.")
        assert reason_text(Reason("made.up", {})) == "Rule made.up applied."


def test_every_rule_reason_has_a_text():
    from kesu.triage.core.rules import DEFAULT_EFFECTS

    for category, effect in DEFAULT_EFFECTS.items():
        for kind, value in (("severity", effect.severity), ("priority", effect.priority),
                            ("crisis", effect.crisis)):
            if value:
                assert f"{kind}.{category}" in REASON_TEXTS


def test_the_chinese_fragment_translates_every_reason():
    from pathlib import Path

    import polib

    fragment = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "fragments" / "triage.po"
    translated = {e.msgid: e.msgstr for e in polib.pofile(str(fragment)) if e.msgstr}
    with translation.override("en"):
        msgids = [str(text) for text in REASON_TEXTS.values()]
    for msgid in msgids:
        assert msgid in translated, msgid
    assert all("！" not in s and "!" not in s for s in translated.values())
