"""Merging a duplicate into the case that is kept (TR-5): both timelines stay whole and name each other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kesu.cases.actions_links import do_merge_case, merge_refusal
from kesu.cases.actions_workflow import do_transition_case
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, CaseEvent, CaseLink, CaseMerge
from kesu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kesu.org.models import User

pytestmark = pytest.mark.django_db


def _merged_into(number: str) -> str:
    """The rejection reason, in the installation's language: "合并到 KS-…" once the catalogue has it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Merged into {number}").format(number=number)


def test_the_merge_reason_reads_in_chinese() -> None:
    fragment = (Path(__file__).parents[2] / "locale/zh_Hans/fragments/related.po").read_text(encoding="utf-8")
    assert 'msgid "Merged into {number}"\nmsgstr "合并到 {number}"' in fragment


def _state(*cases: Case) -> list[tuple[str, int]]:
    rows = Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("pk")
    return list(rows.values_list("status", "event_count"))


def test_a_merge_rejects_the_duplicate_and_both_timelines_name_each_other(
    make_case: Callable[..., Case], make_user: Callable[..., User],
) -> None:
    handler = make_user("handler")
    kept, dup = make_case(), make_case()
    # Intake already linked dup to kept (same customer, same text, same batch): its own events.
    kept_events, dup_events = kept.event_count, dup.event_count
    assert dup_events > 1

    merge = do_merge_case(dup, into=kept, reason="同一位客户重复来电", actor=handler)

    assert (merge.duplicate, merge.kept, merge.by, merge.reason) == (dup, kept, handler, "同一位客户重复来电")
    dup.refresh_from_db()
    kept.refresh_from_db()
    assert (dup.status, kept.status) == ("rejected", "new")
    dup_types = list(CaseEvent.objects.filter(case=dup).order_by("seq").values_list("type", "data"))
    assert dup_types[0][0] == "case.created" and "case.merged" not in [t for t, _ in dup_types[:dup_events]]
    assert dup_types[dup_events] == ("case.merged", {"new": {"merged_into": kept.number},
                                                     "reason": "同一位客户重复来电"})
    status = dup_types[dup_events + 1]
    assert status[0] == "case.status_changed"
    assert status[1]["new"] == {"status": "rejected"} and status[1]["reason"] == _merged_into(kept.number)
    kept_types = list(CaseEvent.objects.filter(case=kept).order_by("seq").values_list("type", "data"))
    assert len(kept_types) == kept_events + 1
    assert kept_types[-1] == ("case.merged", {"new": {"merged_from": dup.number},
                                              "reason": "同一位客户重复来电"})
    assert CaseLink.objects.filter(case=dup, other=kept, kind="merged").count() == 1
    assert list(verify_case_chains()) == []


def test_refusals_change_nothing(make_case: Callable[..., Case], make_user: Callable[..., User]) -> None:
    handler = make_user("handler")
    a, b, closed = make_case(), make_case(), make_case()
    do_transition_case(closed, "rejected", reason="不成立", actor=handler)
    before, links = _state(a, b, closed), CaseLink.objects.count()

    with pytest.raises(ValidationFailed) as self_merge:
        do_merge_case(a, into=a, actor=handler)
    assert self_merge.value.code == "merge_into_self"
    with pytest.raises(Conflict) as finished:
        do_merge_case(a, into=closed, actor=handler)
    assert finished.value.code == "merge_into_finished"
    with pytest.raises(Conflict) as from_finished:
        do_merge_case(closed, into=a, actor=handler)
    assert from_finished.value.code == "merge_not_possible"

    assert _state(a, b, closed) == before
    assert CaseMerge.objects.count() == 0 and CaseLink.objects.count() == links


def test_a_case_is_merged_once(make_case: Callable[..., Case], make_user: Callable[..., User]) -> None:
    handler = make_user("handler")
    a, b, c = make_case(), make_case(), make_case()
    c_events = c.event_count
    do_merge_case(a, into=b, actor=handler)
    a.refresh_from_db()
    with pytest.raises(Conflict) as again:
        do_merge_case(a, into=c, actor=handler)
    assert again.value.code == "already_merged"
    assert CaseMerge.objects.count() == 1 and CaseEvent.objects.filter(case=c).count() == c_events


def test_merging_needs_a_role_that_may_reject(
    make_case: Callable[..., Case], make_user: Callable[..., User],
) -> None:
    a, b = make_case(), make_case()
    before = _state(a, b)
    for role in ("intake_agent", "auditor"):
        with pytest.raises(Forbidden) as denied:
            do_merge_case(a, into=b, actor=make_user(role))
        assert denied.value.code == "merge_not_allowed"
    assert _state(a, b) == before and CaseMerge.objects.count() == 0
    assert merge_refusal(a, b, make_user("quality_engineer")) is None


def test_merging_respects_scope(make_case: Callable[..., Case], make_user: Callable[..., User]) -> None:
    store_handler = make_user("handler", unit="S-E1")
    mine, theirs = make_case(unit="S-E1"), make_case(unit="S-S1")
    before = _state(mine, theirs)
    with pytest.raises(NotFound):
        do_merge_case(mine, into=theirs, actor=store_handler)
    with pytest.raises(NotFound):
        do_merge_case(theirs, into=mine, actor=store_handler)
    assert _state(mine, theirs) == before and CaseMerge.objects.count() == 0


def test_a_refused_rejection_rolls_the_whole_merge_back(
    make_case: Callable[..., Case], make_user: Callable[..., User],
) -> None:
    """The workflow's authority limit applies: a handler may not reject a serious case."""
    from kesu.cases.actions import Classification, do_classify_case

    handler = make_user("handler")
    kept, dup = make_case(), make_case()
    do_classify_case(dup, Classification(severity="serious"), actor=make_user("cs_supervisor"))
    before, links = _state(kept, dup), CaseLink.objects.count()
    with pytest.raises(Forbidden) as denied:
        do_merge_case(dup, into=kept, actor=handler)
    assert denied.value.code == "beyond_authority"
    assert _state(kept, dup) == before
    assert CaseMerge.objects.count() == 0 and CaseLink.objects.count() == links
