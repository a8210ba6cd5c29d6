"""What intake does with a new case's text (TR-5, TR-6, TR-7), inside the intake transaction.

The case's relations are found first (one query for the customer's earlier cases, one for open
cases of the same batch), because a repeat raises the suggested priority; then the triage
suggestions are stored (and applied above the admins' confidence threshold, so that routing and
the SLA policy see them); then the relations are linked, and a repeat raises the priority
unless the applied suggestion already counted it; and a possible crisis is flagged, which
records the crisis team and notifies it. The caller's ``after_change`` follows, so none of this
syncs the clocks itself.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from kesu.cases.actions_links import do_flag_crisis, do_link_related
from kesu.cases.models import Case, LinkKind, LinkSettings
from kesu.org.models import User
from kesu.triage.actions import do_triage_case, do_triage_cases
from kesu.triage.models import FieldState
from kesu.triage.related import find_related


def triage_new_case(case: Case, *, actor: User | None, kind_given: bool, at: datetime) -> None:
    cfg = LinkSettings.current()
    related = find_related(case, cfg=cfg)
    repeats = len({r.case_id for r in related if r.kind == LinkKind.REPEAT})
    suggestion = do_triage_case(case, at=at, kind_given=kind_given, repeats=repeats)
    counted = suggestion.state("priority") == FieldState.AUTO_APPLIED
    do_link_related(case, at=at, actor=None, raise_priority=not counted, cfg=cfg, found=related,
                    new_case=True)
    if suggestion.crisis:
        words = "、".join(suggestion.risk_words) or "—"
        do_flag_crisis(case, reason=_("Suggested by triage: {words}").format(words=words), actor=None, at=at)


def triage_new_cases(cases: list[Case], *, kind_given: list[bool], at: datetime) -> None:
    """Bulk import: suggestions in one model pass. Links and crises are left to staff review,
    since an import is usually history (ADR 0009)."""
    do_triage_cases(cases, at=at, kind_given=kind_given)
