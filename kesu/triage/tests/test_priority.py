from kesu.triage.core.priority import combine_priority


def ids(reasons):
    return [r.id for r in reasons]


def test_severity_raises_priority():
    assert combine_priority("general", severity="serious")[0] == "urgent"
    assert combine_priority("general", severity="major")[0] == "important"
    p, reasons = combine_priority("urgent", severity="major")
    assert (p, reasons) == ("urgent", [])


def test_vip_raises_one_step_with_a_reason():
    p, reasons = combine_priority("general", severity="general", customer_level="vip")
    assert p == "important"
    assert ids(reasons) == ["priority.vip"]
    assert combine_priority("general", severity="general", customer_level="normal") == ("general", [])


def test_repeats_raise_and_three_make_it_urgent():
    assert combine_priority("general", severity="general", repeats=1)[0] == "important"
    p, reasons = combine_priority("general", severity="general", repeats=3)
    assert p == "urgent"
    assert reasons[0].params == {"count": 3, "level": "urgent"}


def test_combination_vip_and_repeat_and_rule_floor():
    p, reasons = combine_priority("general", severity="minor", customer_level="VIP", repeats=1)
    assert p == "urgent"
    assert ids(reasons) == ["priority.vip", "priority.repeat"]
    assert combine_priority("general", severity="general", rule_floor="urgent")[0] == "urgent"


def test_priority_never_goes_down_and_praise_is_not_raised():
    assert combine_priority("urgent", severity="general")[0] == "urgent"
    assert combine_priority("general", severity="general", kind="praise", customer_level="vip",
                            repeats=5) == ("general", [])
