"""Triage of imported cases after the import has stored them (TR-6 for imports, ADR 0010).

A bulk import writes a case in well under 100 µs of CPU; the triage model needs ~170 µs per
text on one core. So a large import stores its cases without suggestions and hands the ids of
what it created to ``do_triage_imported``, which runs in a Celery task once the import has
committed: batch by batch it stores the suggestions with the same function the inline path
uses (``kesu.cases.intake_triage.triage_new_cases``: suggestions stored, applied above the
admins' threshold, ``case.triaged`` events), then brings the SLA clocks of every case whose
classification or status the triage changed in line (``sync_case_clocks``, trigger
"classified": the new target counted from the original start, as for any reclassification).

Idempotent: a case that has a triage row already is skipped, so a redelivered task or a second
run only finishes what is missing. The ids travel as inclusive ranges (``IdRanges``): an
import's batches take consecutive keys, so a million cases are usually one range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kesu.cases.models import Case
from kesu.sla.actions import sync_case_clocks
from kesu.sla.rules import Trigger

#: Cases triaged per transaction: one model pass and a fixed number of statements each.
BATCH = 500

IdRanges = list[list[int]]  # [[first, last], …], inclusive, in the order the ids were added


def add_ids(ranges: IdRanges, ids: Iterable[int]) -> IdRanges:
    """Append ``ids`` to ``ranges``, extending the last range while they are consecutive."""
    for pk in ids:
        if ranges and ranges[-1][1] + 1 == pk:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def iter_ids(ranges: IdRanges) -> Iterator[int]:
    for first, last in ranges:
        yield from range(first, last + 1)


def count_ids(ranges: IdRanges) -> int:
    return sum(last - first + 1 for first, last in ranges)


@dataclass
class BackfillResult:
    triaged: int = 0
    #: Cases whose severity, priority or status the triage changed (clocks re-synced).
    reclassified: int = 0


def _clock_inputs(case: Case) -> tuple[str, str, str, str]:
    """What ``sync_case_clocks`` reads of a case that triage may change."""
    return (case.kind, case.severity or "", case.priority or "", case.status)


def do_triage_imported(
    ranges: IdRanges,
    *,
    at: datetime | None = None,
    batch: int = BATCH,
    on_batch: Callable[[BackfillResult], None] | None = None,
) -> BackfillResult:
    """Triage the cases with ids in ``ranges`` that have no triage row yet, ``batch`` at a time.

    The kinds of these cases are taken as given (``kind_given``): the import triages the rows
    whose kind it defaulted itself, since a changed kind decides whether a case has clocks at
    all, which re-syncing cannot undo. Each batch is one transaction that locks its cases, so
    a staff member editing one of them waits for (or is waited on by) it.
    """
    from kesu.cases.intake_triage import triage_new_cases  # imports this app's actions

    result = BackfillResult()
    ids = iter_ids(ranges)
    while chunk := [pk for _, pk in zip(range(batch), ids, strict=False)]:
        now = at or timezone.now()
        with transaction.atomic():
            cases = list(
                Case.objects.select_for_update(of=("self",))
                .filter(pk__in=chunk, triage__isnull=True)
                .select_related("org_unit", "customer", "category", "intake_by")
                .order_by("pk")
            )
            if not cases:
                continue
            before = [_clock_inputs(case) for case in cases]
            triage_new_cases(cases, kind_given=[True] * len(cases), at=now)
            for case, old in zip(cases, before, strict=True):
                if _clock_inputs(case) != old:
                    sync_case_clocks(case, at=now, trigger=Trigger.CLASSIFIED)
                    result.reclassified += 1
            result.triaged += len(cases)
        if on_batch is not None:
            on_batch(result)
    return result
