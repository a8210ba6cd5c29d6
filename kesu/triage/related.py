"""Which earlier cases a new case relates to (SPEC TR-5): repeats, possible duplicates, same batch.

Two parts. The similarity is pure: cosine over character bigrams of the normalised text
(``kesu.triage.core.normalize``: full-width, traditional characters and case folded), which
needs no segmenter, no model and no vocabulary, treats 包装破损 and 包裝破損 alike and costs a
few microseconds per pair. Words would need jieba loaded in every process that registers a
case; bigrams already catch the shared two-character words that carry a Chinese complaint.

The queries are bounded and indexed, so intake stays fast at a million cases: the customer's
cases in the window (index ``customer_id, received_at DESC``; at most ``max_candidates``) and
the open cases of the same batch (index ``product_batch, received_at DESC``; at most
``max_batch_links``). ``find_related`` costs the same number of queries whatever it finds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from kesu.cases.choices import FINISHED_STATUSES, Kind, Status
from kesu.cases.models import Case, CaseCrisis, CaseLink, LinkKind, LinkSettings
from kesu.core import sqlcache
from kesu.customers.actions import created_in_this_transaction
from kesu.triage.core.normalize import normalize

_NOT_WORD = re.compile(r"[\W_]+")
#: Bigrams of function words that any two texts of one customer share ("你们", "收到"): they say
#: nothing about the issue and would make unrelated complaints look alike.
STOP_BIGRAMS = frozenset(
    "你们 我们 他们 收到 到的 一下 一个 这个 那个 什么 怎么 没有 还是 就是 已经 但是 因为 所以 可以 不是 "
    "是不 时候 的时 现在 今天 昨天 上次 这次 请问 谢谢 希望 了我 我的 的是 是我 我在 在你".split()
)


@dataclass(frozen=True)
class Related:
    """One earlier case and how it relates; ``score`` is the text similarity (None for a batch)."""

    case_id: int
    number: str
    kind: str  # a LinkKind code
    score: float | None
    received_at: datetime
    status: str


def case_text(title: str, description: str) -> str:
    """The words compared: the description, with the title when it adds something."""
    title, description = (title or "").strip(), (description or "").strip()
    if title.rstrip("…") and title.rstrip("…") not in description:
        return f"{title} {description}"
    return description


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of the normalised text, punctuation and spaces removed.

    A text of one character counts as its own "bigram", so that very short texts still compare.
    """
    chars = _NOT_WORD.sub("", normalize(text))
    if len(chars) < 2:
        return Counter([chars] if chars else [])
    grams = (chars[i : i + 2] for i in range(len(chars) - 1))
    return Counter(g for g in grams if g not in STOP_BIGRAMS)


def cosine(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two bigram counts, in [0, 1]; 0 when either is empty."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(n * b[g] for g, n in a.items() if g in b)
    if not dot:
        return 0.0
    norm = math.sqrt(sum(n * n for n in a.values())) * math.sqrt(sum(n * n for n in b.values()))
    return min(1.0, dot / norm)


def similarity(text_a: str, text_b: str) -> float:
    """How alike two customer texts are (0 … 1), rounded to three places."""
    return round(cosine(bigrams(text_a), bigrams(text_b)), 3)


def similar_earlier(
    customer_id: int | None, text: str, *, at: datetime, exclude_pk: int | None = None,
    cfg: LinkSettings | None = None,
) -> list[Related]:
    """Earlier cases of the customer within the window that are about the same issue.

    Each gives a ``repeat``; one within the duplicate window and at least as similar as the
    duplicate threshold gives a ``possible_duplicate`` as well. Praise never repeats. One query
    (none without a customer).
    """
    cfg = cfg or LinkSettings.current()
    if customer_id is None or cfg.max_candidates <= 0:  # a LIMIT 0 that the ORM would not send
        return []
    since, limit = at - timedelta(days=cfg.window_days), cfg.max_candidates
    if exclude_pk is None:
        rows = sqlcache.rows(f"related.similar_earlier:{limit}",
                             lambda cid, a, b: _earlier(cid, a, b)[:limit], customer_id, since, at)
    else:
        rows = sqlcache.rows(f"related.similar_earlier_but:{limit}",
                             lambda cid, a, b, pk: _earlier(cid, a, b).exclude(pk=pk)[:limit],
                             customer_id, since, at, exclude_pk)
    mine = bigrams(text)
    duplicate_since = at - timedelta(days=cfg.duplicate_window_days)
    found: list[Related] = []
    for pk, number, received_at, status, title, description in rows:
        score = round(cosine(mine, bigrams(case_text(title, description))), 3)
        if score < cfg.repeat_threshold:
            continue
        found.append(Related(pk, number, LinkKind.REPEAT, score, received_at, status))
        if score >= cfg.duplicate_threshold and received_at >= duplicate_since:
            found.append(Related(pk, number, LinkKind.POSSIBLE_DUPLICATE, score, received_at, status))
    return found


def same_batch_open(case: Case, *, cfg: LinkSettings | None = None) -> list[Related]:
    """Open cases (any customer, any unit) on the same non-empty product batch; newest first."""
    cfg = cfg or LinkSettings.current()
    if not case.product_batch or cfg.max_batch_links <= 0:
        return []
    limit = cfg.max_batch_links
    if case.pk is None:
        rows = sqlcache.rows(f"related.same_batch:{limit}", lambda batch: _same_batch(batch)[:limit],
                             case.product_batch)
    else:
        rows = sqlcache.rows(f"related.same_batch_but:{limit}",
                             lambda batch, pk: _same_batch(batch).exclude(pk=pk)[:limit], case.product_batch,
                             case.pk)
    return [Related(pk, number, LinkKind.SAME_BATCH, None, received_at, status)
            for pk, number, received_at, status in rows]


# The two queries of ``find_related``, compiled once per process (``sqlcache.rows``: ~0.3 ms of
# ORM compilation each, on every intake); a LIMIT is part of the SQL text, hence of the name.

def _earlier(customer_id: int, since: datetime, until: datetime) -> QuerySet[Case, tuple[Any, ...]]:
    return (Case.objects.filter(customer_id=customer_id, received_at__gte=since, received_at__lte=until)
            .exclude(kind=Kind.PRAISE).order_by("-received_at")
            .values_list("pk", "number", "received_at", "status", "title", "description"))


def _same_batch(batch: str) -> QuerySet[Case, tuple[Any, ...]]:
    return (Case.objects.filter(product_batch=batch).exclude(status__in=FINISHED_STATUSES)
            .order_by("-received_at").values_list("pk", "number", "received_at", "status"))


def find_related(case: Case, *, cfg: LinkSettings | None = None) -> list[Related]:
    """Every relation of ``case`` to other cases: repeats and duplicates, then the same batch.

    At most three queries (settings, customer's cases, batch), whatever the number of matches.
    Praise is related to nothing by text: it is not a repeat complaint.
    """
    cfg = cfg or LinkSettings.current()
    found: list[Related] = []
    # A customer intake created for this very case has no earlier cases: no query for them.
    if case.kind != Kind.PRAISE and not created_in_this_transaction(case._state.fields_cache.get("customer")):
        found = similar_earlier(case.customer_id, case_text(case.title, case.description),
                                at=case.received_at, exclude_pk=case.pk, cfg=cfg)
    return found + same_batch_open(case, cfg=cfg)


def repeat_count(case: Case, *, cfg: LinkSettings | None = None) -> int:
    """How many earlier cases ``case`` repeats: the ``repeats`` argument of triage's ``predict``.

    Counts cases, not links, so a possible duplicate is counted once.
    """
    if case.kind == Kind.PRAISE:
        return 0
    found = similar_earlier(case.customer_id, case_text(case.title, case.description),
                            at=case.received_at, exclude_pk=case.pk, cfg=cfg)
    return sum(1 for r in found if r.kind == LinkKind.REPEAT)


# --- reading the stored links, for the case page and the API ------------------------------

#: The case page lists at most this many links; a batch with more is a list page's job.
MAX_SHOWN = 200


@dataclass(frozen=True)
class LinkedCase:
    """A case on the other end of a link, as much as a list row shows."""

    pk: int
    number: str
    title: str
    status: str
    resume_status: str
    received_at: datetime
    org_unit: str
    kind: str
    score: float | None
    later: bool  # True when the other case came after this one (it repeats this one)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label) if self.status in Status.values else self.status


@dataclass(frozen=True)
class CaseLinks:
    repeats: list[LinkedCase]
    duplicates: list[LinkedCase]
    same_batch: list[LinkedCase]
    merged_into: LinkedCase | None
    merged_from: list[LinkedCase]
    crisis: CaseCrisis | None

    @property
    def empty(self) -> bool:
        return not (self.repeats or self.duplicates or self.same_batch or self.merged_into
                    or self.merged_from)


_SIDE = ("number", "title", "status", "resume_status", "received_at", "org_unit__name")


def case_links(case: Case, visible: QuerySet[Case]) -> CaseLinks:
    """The links of ``case`` both ways, keeping only cases in ``visible`` (``cases_visible_to``).

    A case the viewer may not see is left out without a trace. Four queries: links, visibility,
    open crisis, its team.
    """
    fields = ["case_id", "other_id", "kind", "score",
              *(f"case__{f}" for f in _SIDE), *(f"other__{f}" for f in _SIDE)]
    rows = list(CaseLink.objects.filter(Q(case=case) | Q(other=case)).order_by("-created_at", "-pk")
                .values(*fields)[:MAX_SHOWN])
    far_ids = {r["other_id"] if r["case_id"] == case.pk else r["case_id"] for r in rows}
    seen = set(visible.filter(pk__in=far_ids).order_by().values_list("pk", flat=True)) if far_ids else set()
    by_kind: dict[str, list[LinkedCase]] = {k: [] for k in LinkKind.values}
    merged_into = None
    for r in rows:
        later = r["other_id"] == case.pk
        side = "case" if later else "other"
        pk = r["case_id"] if later else r["other_id"]
        if pk not in seen:
            continue
        linked = LinkedCase(pk=pk, **{f.replace("__name", ""): r[f"{side}__{f}"] for f in _SIDE},
                            kind=r["kind"], score=r["score"], later=later)
        if r["kind"] == LinkKind.MERGED and not later:
            merged_into = linked
        else:
            by_kind[r["kind"]].append(linked)
    crisis = (CaseCrisis.objects.filter(case=case, resolved_at__isnull=True)
              .select_related("raised_by").prefetch_related("team").first())
    return CaseLinks(repeats=by_kind[LinkKind.REPEAT], duplicates=by_kind[LinkKind.POSSIBLE_DUPLICATE],
                     same_batch=by_kind[LinkKind.SAME_BATCH], merged_into=merged_into,
                     merged_from=by_kind[LinkKind.MERGED], crisis=crisis)
