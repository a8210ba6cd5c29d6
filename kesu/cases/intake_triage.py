"""What intake does with a new case's text (TR-5, TR-6, TR-7), inside the intake transaction.

Earlier cases of the customer are counted first, because a repeat raises the suggested
priority; then the triage suggestions are stored (and applied above the admins' confidence
threshold, so that routing and the SLA policy see them); and a possible crisis is flagged,
which records the crisis team and notifies it. Linking the related cases themselves
(``do_link_related``) is not yet called here: staff link from the case page.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from kesu.cases.actions_links import do_flag_crisis
from kesu.cases.models import Case
from kesu.org.models import User
from kesu.triage.actions import do_triage_case, do_triage_cases
from kesu.triage.related import repeat_count


def triage_new_case(case: Case, *, actor: User | None, kind_given: bool, at: datetime) -> None:
    suggestion = do_triage_case(case, at=at, kind_given=kind_given, repeats=repeat_count(case))
    if suggestion.crisis:
        words = "、".join(suggestion.risk_words) or "—"
        do_flag_crisis(case, reason=_("Suggested by triage: {words}").format(words=words), actor=None, at=at)


def triage_new_cases(cases: list[Case], *, kind_given: list[bool], at: datetime) -> None:
    """Bulk import: suggestions in one model pass. Links and crises are left to staff review,
    since an import is usually history (ADR 0009)."""
    do_triage_cases(cases, at=at, kind_given=kind_given)
