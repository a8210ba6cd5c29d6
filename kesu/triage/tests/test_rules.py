from kesu.triage.core.lexicon import Lexicon
from kesu.triage.core.normalize import normalize
from kesu.triage.core.rules import Effect, apply_rules, level_max

LEXICON = Lexicon.from_dir()


def outcome(text, **kw):
    return apply_rules(LEXICON.find(normalize(text)), **kw)


def test_injury_and_hospital_make_severity_serious_and_a_crisis():
    out = outcome("孩子受伤住院了")
    assert out.severity_floor == "serious"
    assert out.priority_floor == "urgent"
    assert out.crisis is True
    ids = [r.id for r in out.reasons]
    assert ids == ["severity.harm", "priority.harm", "crisis.harm"]
    assert out.reasons[0].params == {"word": "受伤", "level": "serious"}


def test_media_exposure_is_urgent_and_a_crisis():
    out = outcome("再不处理我就找媒体曝光")
    assert out.priority_floor == "urgent"
    assert out.crisis is True
    assert out.severity_floor is None
    assert [r.id for r in out.reasons] == ["priority.media", "crisis.media"]


def test_foreign_matter_is_major_but_not_a_crisis():
    out = outcome("面包里有异物")
    assert (out.severity_floor, out.priority_floor, out.crisis) == ("major", "important", False)


def test_negated_risk_is_no_risk():
    out = outcome("没有异物,也没有拉肚子")
    assert (out.severity_floor, out.priority_floor, out.crisis, out.reasons) == (None, None, False, [])


def test_legal_and_regulator_raise_priority_without_crisis():
    for text in ("我要请律师起诉", "我已经打了12315", "投诉到消协"):
        out = outcome(text)
        assert out.priority_floor == "urgent", text
        assert out.crisis is False, text


def test_the_strongest_floor_wins_and_effects_are_replaceable():
    out = outcome("包装破损,里面还有虫子")
    assert out.severity_floor == "major"
    strict = outcome("我已经打了12315", effects={"regulator": Effect(priority="urgent", crisis=True)})
    assert strict.crisis is True
    assert level_max("minor", "major", ("general", "minor", "major")) == "major"
    assert level_max(None, "minor", ("general", "minor")) == "minor"
