"""Triage writes on cases: suggestions at intake (every channel), one-click confirm and correct (TR-6).

``do_triage_case`` / ``do_triage_cases`` run inside the intake transaction, right after the
case row exists and before its SLA clocks are computed: a field intake left empty is filled
with a suggestion at least as confident as the admins' threshold, so routing and SLA policies,
which read the case fields, see it. A field intake filled is "confirmed at intake" when it
equals the suggestion, else "corrected at intake" (a labelled example). A model failure is
logged and the case is saved without suggestions: triage never loses a case.

``do_confirm_triage`` is the one-click accept/correct of the case page and the API; it writes
the case through the case actions (``do_classify_case``, ``do_change_kind``) so the
classification events and SLA resync happen exactly as for a hand-made change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases import events
from kesu.cases.choices import Channel, Emotion, Kind, Priority, Severity, Status, Validity
from kesu.cases.completeness import missing_fields
from kesu.cases.effects import after_change
from kesu.cases.events import EventType, event_payload
from kesu.cases.models import Case, CaseEvent, Category
from kesu.core import sqlcache
from kesu.core.errors import Forbidden, ValidationFailed
from kesu.core.hashchain import GENESIS, chain_hash
from kesu.core.sqlcache import fixed_rows
from kesu.org.models import User
from kesu.org.roles import Cap, has_cap
from kesu.sla.sqlbulk import update_by_id
from kesu.triage import service
from kesu.triage.core import FIELDS
from kesu.triage.core.model import Triage
from kesu.triage.models import (
    AUTO_FIELDS,
    TRIAGE_FIELDS,
    CaseTriage,
    FieldState,
    LabelSource,
    TriageLabel,
    TriageSettings,
)

logger = logging.getLogger(__name__)

# kesu.cases.actions and kesu.cases.bulk call into this module from intake, so this module imports
# them only inside the functions that need them (no import cycle, whichever is loaded first).


def new_instance(model: type[M], **kwargs: Any) -> M:
    """An unsaved model instance built the fast way bulk import builds its rows."""
    from kesu.cases.bulk import _new

    return _new(model, **kwargs)


def insert_rows(objs: Sequence[Model], *, returning: bool = True) -> None:
    from kesu.cases import bulk

    bulk.insert_rows(objs, returning=returning)

M = TypeVar("M", bound=Model)

TRIAGED = "case.triaged"
REVIEWED = "case.triage_reviewed"

#: The codes a person may choose per field (category: any active category, checked separately).
ALLOWED: dict[str, frozenset[str]] = {
    "kind": frozenset(Kind.values), "validity": frozenset(Validity.values),
    "severity": frozenset(Severity.values), "priority": frozenset(Priority.values),
    "emotion": frozenset(Emotion.values), "sentiment": frozenset(FIELDS["sentiment"]),
}


def case_text(case: Case) -> str:
    """What the model reads: the title, unless intake derived it from the description, and the description."""
    title, description = case.title.strip(), case.description.strip()
    if not title or description.startswith(title.rstrip("…")):
        return description
    return f"{title}\n{description}"


def case_values(case: Case) -> dict[str, str]:
    """The case's current value of each triaged field ('' = empty)."""
    return {"kind": case.kind, "category": case.category.code if case.category_id and case.category else "",
            "validity": case.validity, "severity": case.severity, "priority": case.priority,
            "emotion": case.emotion, "sentiment": ""}


@dataclass
class Plan:
    """What triage does to one case: computed without the database, applied by the callers."""

    suggestions: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    applied: dict[str, str] = field(default_factory=dict)
    corrections: list[tuple[str, str, str]] = field(default_factory=list)  # (field, code, suggested)


def plan_triage(values: Mapping[str, str], triage: Triage, *, threshold: float | None, kind_given: bool,
                categories: Mapping[str, str | None], at: datetime) -> Plan:
    """Per field: confirmed or corrected at intake, applied automatically, or left for a person.

    ``categories`` maps each active category code to its parent's code: a suggested
    ``product_quality`` is confirmed by an intake that chose its sub-category. ``threshold``
    None: nothing is applied (the administrators switched automatic application off).
    """
    plan = Plan()
    stamp = {"by": None, "by_name": "", "at": at.isoformat()}
    for name in TRIAGE_FIELDS:
        prediction = triage.get(name)
        plan.suggestions[name] = prediction.to_dict() if prediction else None
        if prediction is None:
            continue
        given = values.get(name, "") if (name != "kind" or kind_given) else ""
        if given:
            same = given == prediction.code or (name == "category"
                                                 and _descends(given, prediction.code, categories))
            state = FieldState.INTAKE_CONFIRMED if same else FieldState.INTAKE_CORRECTED
            if not same:
                plan.corrections.append((name, given, prediction.code))
            plan.decisions[name] = {"state": state, "value": given, **stamp}
        elif (name in AUTO_FIELDS or name == "kind") and threshold is not None and (
                prediction.confidence >= threshold) and (
                prediction.code in categories if name == "category" else prediction.code in ALLOWED[name]):
            plan.applied[name] = prediction.code
            plan.decisions[name] = {"state": FieldState.AUTO_APPLIED, "value": prediction.code, **stamp}
    return plan


def _descends(code: str, ancestor: str, parents: Mapping[str, str | None]) -> bool:
    seen: set[str] = set()
    node = parents.get(code)
    while node is not None and node not in seen:
        if node == ancestor:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


def auto_apply_threshold() -> float | None:
    """The confidence from which suggestions are applied; None when automatic application is off.

    ``TriageSettings.load()``'s values, read with a query compiled once (every intake asks)."""
    rows = fixed_rows("triage.auto_apply", lambda: TriageSettings.objects.filter(pk=1).values_list(
        "auto_apply", "auto_apply_threshold"))
    if not rows:  # the fields' defaults, without building a model instance on every intake
        meta = TriageSettings._meta
        threshold = meta.get_field("auto_apply_threshold").get_default()
        return float(threshold) if meta.get_field("auto_apply").get_default() else None
    auto_apply, threshold = rows[0]
    return float(threshold) if auto_apply else None


def category_tree() -> dict[str, str | None]:
    """Active category code → parent code, in one query (compiled once: every intake asks)."""
    rows = fixed_rows("triage.category_tree", lambda: Category.objects.filter(is_active=True).values_list(
        "pk", "code", "parent_id"))
    codes = {pk: code for pk, code, _parent in rows}
    return {code: codes.get(parent) for _pk, code, parent in rows}


def _suggest_many(cases: Sequence[Case], repeats: Sequence[int] | None = None) -> list[Triage] | None:
    """The model's triage of each case, or None when the model failed (logged; intake goes on)."""
    texts = [case_text(c) for c in cases]
    levels = [c.customer.level if c.customer_id and c.customer else None for c in cases]
    try:
        return service.suggest_many(texts, customer_levels=levels, repeats=repeats)
    except Exception:  # any model failure must leave the case saved (TR-6); logged with its traceback
        logger.exception("triage failed for %d case(s); saved without suggestions", len(cases))
        return None


def _apply_to_case(case: Case, applied: Mapping[str, str], categories: Mapping[str, Category]) -> list[str]:
    """Set the applied values on the (unsaved) case object; the columns that changed."""
    columns = []
    for name, code in applied.items():
        if name == "category":
            case.category = categories[code]
            columns.append("category")
        else:
            setattr(case, name, code)
            columns.append(name)
    if "kind" in applied:
        columns += _refresh_completeness(case, at_intake=True)
    return columns


def _record_status(case: Case, old_status: str) -> None:
    """A suggested kind that changes what is missing moves new ↔ awaiting information: record it."""
    if case.status != old_status:
        events.append(case, EventType.STATUS_CHANGED, actor=None, data={
            "old": {"status": old_status}, "new": {"status": case.status},
            "reason": _("The suggested kind needs other information."),
        })


def _refresh_completeness(case: Case, *, at_intake: bool) -> list[str]:
    """Recompute the missing fields after a change of kind; at intake also new ↔ awaiting info."""
    cust = case.customer if case.customer_id else None
    missing = missing_fields(case.kind, {
        "title": case.title, "description": case.description,
        "customer_phone": cust.phone if cust else "", "customer_email": cust.email if cust else "",
        "product_name": case.product_name, "demands": case.demands,
    })
    columns = []
    if missing != case.missing_fields:
        case.missing_fields = missing
        columns.append("missing_fields")
    if at_intake and case.status in (Status.NEW, Status.AWAITING_INFO):
        status = Status.AWAITING_INFO if missing else Status.NEW
        if status != case.status:
            case.status, case.resume_status = status, (Status.NEW if missing else "")
            columns += ["status", "resume_status"]
    return columns


def _event_data(plan: Plan, old: Mapping[str, str], model_version: str) -> dict[str, Any]:
    return {"model_version": model_version, "suggestions": plan.suggestions,
            "old": {k: old.get(k) or None for k in plan.applied}, "new": dict(plan.applied)}


def _labels(case: Case, corrections: list[tuple[str, str, str]], *, at: datetime,
            user: User | None) -> list[TriageLabel]:
    text = case_text(case) if corrections else ""
    return [new_instance(TriageLabel, case=case, field=name, code=code, suggested=suggested, text=text,
                         source=LabelSource.CORRECTED, user=user, at=at)
            for name, code, suggested in corrections]


def _triage_row(case: Case, triage: Triage | None, plan: Plan, at: datetime) -> CaseTriage:
    if triage is None:
        return new_instance(CaseTriage, case_id=case.pk, error="model unavailable", created_at=at,
                            updated_at=at)
    return new_instance(
        CaseTriage, case_id=case.pk, model_version=triage.model_version, suggestions=plan.suggestions,
        decisions=plan.decisions, risk_words=list(triage.risk_words),
        reasons=[r.to_dict() for r in triage.reasons], crisis=triage.crisis, created_at=at, updated_at=at,
    )


def kind_was_given(case: Case, given: bool | None) -> bool:
    """Whether the case's kind is a person's choice: the caller knows best; else all but e-mail."""
    return case.channel != Channel.EMAIL if given is None else given


def do_triage_case(case: Case, *, at: datetime, kind_given: bool | None = None,
                   repeats: int = 0) -> CaseTriage:
    """Suggest, store and auto-apply for one new case. Call inside the intake transaction.

    The case object is updated in place (and saved), so the caller's SLA computation that
    follows sees the applied values. Writes a ``case.triaged`` event when a suggestion was applied
    to the case (the suggestions themselves are the ``CaseTriage`` row, with the model version).
    ``kind_given=False`` says the kind is a default (e-mail intake's is, by default);
    ``repeats`` is how many earlier complaints of the same customer on the same issue exist
    (TR-5: one raises the priority a step, three make it urgent).
    """
    triages = _suggest_many([case], [repeats])
    triage = triages[0] if triages else None
    # No savepoint: a failed write here fails the intake anyway (nothing catches it in between).
    with transaction.atomic(savepoint=False):
        if triage is None:
            row = _triage_row(case, None, Plan(), at)
            sqlcache.insert([row])
            _keep_on_case(case, row)
            return row
        tree = category_tree()
        old = case_values(case)
        plan = plan_triage(old, triage, threshold=auto_apply_threshold(),
                           kind_given=kind_was_given(case, kind_given), categories=tree, at=at)
        categories: dict[str, Category] = {}
        if "category" in plan.applied:  # one code (unique): SQL compiled once, as intake's own lookups
            from kesu.cases.actions import category_by_code  # kesu.cases.actions calls into this module

            found = category_by_code(plan.applied["category"], active=False)
            categories = {found.code: found} if found is not None else {}
        old_status = case.status
        columns = _apply_to_case(case, plan.applied, categories)
        # The new case of intake: the applied values go in the UPDATE of the event's chain head.
        with_event = bool(columns) and events.head_held(case)
        if columns and not with_event:
            case.save(update_fields=[*columns, "updated_at"])
        _record_status(case, old_status)
        row = _triage_row(case, triage, plan, at)
        sqlcache.insert([row])
        _keep_on_case(case, row)
        labels = _labels(case, plan.corrections, at=at, user=case.intake_by)
        if labels:
            TriageLabel.objects.bulk_create(labels)
        if plan.applied:  # the suggestion itself is the CaseTriage row; the event records a change
            events.append(case, TRIAGED, actor=None, data=_event_data(plan, old, triage.model_version),
                          save_fields=[*columns, "updated_at"] if with_event else ())
    return row


def _keep_on_case(case: Case, row: CaseTriage) -> None:
    """Remember ``row`` as ``case.triage``, so that the intake's answer does not read it back."""
    Case.triage.related.set_cached_value(case, row)  # type: ignore[attr-defined]


def do_triage_cases(cases: list[Case], *, at: datetime, kind_given: Sequence[bool] | None = None,
                    repeats: Sequence[int] | None = None) -> None:
    """``do_triage_case`` for a batch of new, saved cases (bulk import): one model pass, bulk writes.

    ``kind_given[i]`` False: row i's kind is the importer's default, not a value from the file.
    A fixed number of statements per batch: the model pass, one read of the chain heads, one
    update of the cases (applied values and chain heads), one insert each of the triage rows,
    the labels and the ``case.triaged`` events, chained exactly as ``events.append`` chains.
    """
    if not cases:
        return
    triages = _suggest_many(cases, repeats)
    tree = category_tree()
    by_code = {c.code: c for c in Category.objects.filter(code__in=list(tree))}
    threshold = auto_apply_threshold()
    rows: list[CaseTriage] = []
    labels: list[TriageLabel] = []
    intake_state: list[tuple[Case, str]] = []
    payloads: dict[int, dict[str, Any]] = {}
    for i, case in enumerate(cases):
        triage = triages[i] if triages else None
        if triage is None:
            rows.append(_triage_row(case, None, Plan(), at))
            continue
        old = case_values(case)
        given = kind_was_given(case, kind_given[i] if kind_given is not None else None)
        plan = plan_triage(old, triage, threshold=threshold, kind_given=given, categories=tree, at=at)
        old_status = case.status
        columns = _apply_to_case(case, plan.applied, by_code)
        if "missing_fields" in columns or "status" in columns:
            intake_state.append((case, old_status))
        rows.append(_triage_row(case, triage, plan, at))
        labels += _labels(case, plan.corrections, at=at, user=case.intake_by)
        if plan.applied:
            payloads[case.pk] = _event_data(plan, old, triage.model_version)
    with transaction.atomic():
        for case, old_status in intake_state:  # a changed kind of an e-mailed case: rare, one update each
            Case.objects.filter(pk=case.pk).update(missing_fields=case.missing_fields, status=case.status,
                                                   resume_status=case.resume_status)
            _record_status(case, old_status)
        insert_rows(rows, returning=False)
        if labels:
            insert_rows(labels, returning=False)
        _append_triaged(cases, payloads, at)


def _append_triaged(cases: list[Case], payloads: dict[int, dict[str, Any]], at: datetime) -> None:
    """The ``case.triaged`` events of a batch and the cases' new values and chain heads, in two statements.

    The chain is ``kesu.cases.events.append``'s (same payload and hash); the heads are read under
    a row lock, so a concurrent writer on one of these cases waits.
    """
    ids = sorted(payloads)
    heads = {pk: (count, last or GENESIS) for pk, count, last in Case.objects.select_for_update().filter(
        pk__in=ids).order_by("pk").values_list("pk", "event_count", "last_event_hash")}
    at = at.replace(microsecond=0)
    written: list[CaseEvent] = []
    for case in cases:
        if case.pk not in payloads:
            continue
        count, last = heads[case.pk]
        event = new_instance(CaseEvent, case=case, seq=count + 1, type=TRIAGED, actor=None, actor_name="",
                             at=at, data=payloads[case.pk], prev_hash=last)
        event.hash = chain_hash(last, event_payload(event, case.number))
        case.event_count, case.last_event_hash = event.seq, event.hash
        written.append(event)
    insert_rows(written, returning=False)
    update_by_id(Case._meta.db_table, [
        ("event_count", "integer"), ("last_event_hash", "varchar"), ("category_id", "bigint"),
        ("validity", "varchar"), ("severity", "varchar"), ("priority", "varchar"), ("emotion", "varchar"),
        ("kind", "varchar")], [
        (c.pk, c.event_count, c.last_event_hash, c.category_id, c.validity, c.severity, c.priority, c.emotion,
         c.kind) for c in cases if c.pk in payloads])


# --- one-click confirm and correct ---------------------------------------------------------------

def _check_fields(fields: Mapping[str, str]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    if not fields:
        raise ValidationFailed(_("Choose at least one field to confirm or correct."),
                               fields={"fields": [_("This field is required.")]})
    active = set(category_tree())
    for name, code in fields.items():
        code = (code or "").strip()
        if name not in TRIAGE_FIELDS:
            errors.setdefault(name, []).append(_("Unknown field."))
        elif not code:
            errors.setdefault(name, []).append(_("This field is required."))
        elif (code not in active) if name == "category" else (code not in ALLOWED[name]):
            errors.setdefault(name, []).append(_("Unknown value {value}.").format(value=code))
        else:
            clean[name] = code
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return clean


def do_confirm_triage(case: Case, fields: Mapping[str, str], *, actor: User) -> CaseTriage:
    """Accept (code = the suggestion) or correct (another code) fields of a case's triage.

    Writes the values onto the case through the case actions, records one label per field
    and a ``case.triage_reviewed`` event. Sentiment is only labelled (the case has no such field).
    """
    if not has_cap(actor.role, Cap.CASE_CLASSIFY):
        raise Forbidden(_("Your role may not classify cases."))
    clean = _check_fields(fields)
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).select_related("category", "customer").get(
            pk=case.pk)
        row = CaseTriage.objects.select_for_update().filter(case=locked).first()
        if row is None:  # a case from before triage, or one the model failed on: label it all the same
            row = CaseTriage.objects.create(case=locked, created_at=now, updated_at=now)
        _write_case(locked, clean, actor)
        review: dict[str, dict[str, str]] = {"confirmed": {}, "corrected": {}}
        labels = []
        text = case_text(locked)
        for name, code in clean.items():
            suggested = (row.suggestion(name) or {}).get("code", "")
            source = LabelSource.CONFIRMED if code == suggested else LabelSource.CORRECTED
            review[source][name] = code
            row.decisions[name] = {"state": FieldState.CONFIRMED if source == LabelSource.CONFIRMED
                                   else FieldState.CORRECTED, "value": code, "by": actor.pk,
                                   "by_name": actor.username, "at": now.isoformat()}
            labels.append(TriageLabel(case=locked, field=name, code=code, suggested=suggested, text=text,
                                      source=source, user=actor, at=now))
        row.updated_at = now
        row.save(update_fields=["decisions", "updated_at"])
        TriageLabel.objects.bulk_create(labels)
        events.append(locked, REVIEWED, actor=actor, data={k: v for k, v in review.items() if v})
    return row


def _write_case(case: Case, values: Mapping[str, str], actor: User) -> None:
    """Put the chosen codes on the case with the case actions (events, SLA resync)."""
    from kesu.cases.actions import Classification, do_classify_case

    current = case_values(case)
    keys = ("category", "validity", "severity", "priority")
    if any(k in values and values[k] != current[k] for k in keys):
        merged = {k: values.get(k, current[k]) for k in keys}
        do_classify_case(case, Classification(**merged), actor=actor)
    if "kind" in values and values["kind"] != current["kind"]:
        do_change_kind(case, values["kind"], actor=actor)
    if "emotion" in values and values["emotion"] != current["emotion"]:
        do_change_emotion(case, values["emotion"], actor=actor)


def do_change_kind(case: Case, kind: str, *, actor: User) -> Case:
    """Change a case's kind (complaint, suggestion, praise, inquiry); the missing fields follow.

    The status is left alone: a case waiting for information moves on by a transition.
    """
    if not has_cap(actor.role, Cap.CASE_CLASSIFY):
        raise Forbidden(_("Your role may not classify cases."))
    if kind not in ALLOWED["kind"]:
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"kind": [_("Unknown value {value}.").format(value=kind)]})
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).select_related("customer").get(pk=case.pk)
        if locked.kind == kind:
            return locked
        old = {"kind": locked.kind, "missing_fields": locked.missing_fields}
        locked.kind = kind
        columns = ["kind", *_refresh_completeness(locked, at_intake=False)]
        locked.save(update_fields=[*columns, "updated_at"])
        new = {"kind": kind, "missing_fields": locked.missing_fields}
        changed = [k for k in new if old[k] != new[k]]
        events.append(locked, EventType.UPDATED, actor=actor, data={
            "old": {k: old[k] for k in changed}, "new": {k: new[k] for k in changed}})
        after_change(locked, at=timezone.now(), trigger="classified")
    return locked


def do_change_emotion(case: Case, emotion: str, *, actor: User) -> Case:
    """Record the customer's emotion as staff judge it (a ``case.updated`` event)."""
    if not has_cap(actor.role, Cap.CASE_CLASSIFY):
        raise Forbidden(_("Your role may not classify cases."))
    if emotion and emotion not in ALLOWED["emotion"]:
        raise ValidationFailed(_("Please correct the marked fields."),
                               fields={"emotion": [_("Unknown value {value}.").format(value=emotion)]})
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
        if locked.emotion == emotion:
            return locked
        old, locked.emotion = locked.emotion, emotion
        locked.save(update_fields=["emotion", "updated_at"])
        events.append(locked, EventType.UPDATED, actor=actor,
                      data={"old": {"emotion": old}, "new": {"emotion": emotion}})
    return locked
