"""Plan each demo case's life after intake (WF-1 … WF-5): pure, seeded, no database.

A Chinese complaint desk as the company's procedures describe it: the first responder
(首问负责人) accepts the case and keeps the conversation with the customer; the routing rules
give it to a department, now and then a coordinator gives it by hand or moves it on; the
department investigates, proposes a solution that the right level approves for the case's
severity; the first responder replies, customer service calls back (回访), and the case is
closed — or reopened when the customer is still not satisfied — and archived after three
months. Praise and most inquiries are answered at once. Vague feedback without evidence is
rejected (不成立), often after waiting in vain for a batch number or a photo. Serious cases
are escalated. Every moment falls on working time after the previous one, mostly within
the SLA targets, some late.

Each case draws from its own random stream (seed, case index), so its life does not depend on
the others. Every step is checked against the workflow table, the roles, the scopes and the
authority limits while it is planned (``steps.may_move``), so a plan that the table would
refuse fails here, not halfway through a load.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from kesu.cases.choices import Kind, MessageDirection, MessageKind, Severity
from kesu.cases.choices import Status as S
from kesu.cases.completeness import missing_fields
from kesu.core.defaults import ROOT_CODE
from kesu.core.demo import replies
from kesu.core.demo.catalogue import COURIERS
from kesu.core.demo.plan import HQ_AGENTS, INTEGRATION_USER, STORE_HANDLER, STORE_INTAKE, CasePlan
from kesu.core.demo.routing import LEAD, WORKER, department_for
from kesu.core.demo.steps import (
    HOME,
    ROLE,
    AssignStep,
    MessageStep,
    StatusStep,
    Step,
    may_assign,
    may_move,
    may_write,
    needs_reason,
)
from kesu.core.demo.timeline import TZ
from kesu.org.choices import Role
from kesu.sla.statutory import statutory_days
from kesu.sla.worktime import WorkCalendar

OUT, IN, INTERNAL = MessageDirection.OUTBOUND, MessageDirection.INBOUND, MessageDirection.INTERNAL
REGION_OF = {"SH-NJL": "liuyang", "SH-XJH": "liuyang", "HZ-XH": "liuyang",
             "GZ-TH": "huangwei", "SZ-NS": "huangwei", "FS-ZM": "huangwei"}
STORE_TOPICS = frozenset({"staff_attitude", "queue_long", "store_environment", "inconsistent_info"})
HANDLED_INQUIRIES = frozenset({"ask_wholesale", "ask_order", "ask_after_sales"})
FIN_TOPICS = frozenset({"refund_slow", "invoice", "gift_card"})
PROD_TOPICS = frozenset({"foreign_matter", "mould"})
#: Open states recent cases are left in, with weights (the console's work lists).
OPEN_WEIGHTS: dict[str, float] = {
    S.NEW: 1.0, S.ACCEPTED: 1.2, S.ASSIGNED: 1.5, S.INVESTIGATING: 2.0, S.AWAITING_INFO: 1.0,
    S.SOLUTION_PROPOSED: 1.0, S.REPLIED: 1.2, S.CALLBACK: 0.8,
}
RECENT = timedelta(days=14)
#: The status a case registered with fields missing returns to once they are given (IN-5).
INTAKE_RESUME = S.NEW
MISSING_WORDS = {"demands": "诉求", "product_name": "产品信息", "customer_contact": "联系方式",
                 "title": "标题", "description": "问题描述"}
ARCHIVE_AFTER = timedelta(days=90)
CLOSERS = ("sunhui", "majing", "qianfeng")  # when the callback agent's authority is not enough
#: By severity: who signs off a solution beyond a department head (WF-3 three-level review).
APPROVER_CHAIN: dict[str, tuple[str, ...]] = {
    Severity.SERIOUS: ("zhengtao", "hejianguo"),
    Severity.SPECIAL: ("hejianguo",),
}


def intake_missing(plan: CasePlan) -> list[str]:
    """The fields intake finds missing, as ``do_create_case`` does: such a case starts awaiting info."""
    data = plan.data
    return missing_fields(data.kind, {
        "title": data.title.strip() or data.description, "description": data.description,
        "customer_phone": data.customer.phone.strip(), "customer_email": data.customer.email.strip(),
        "product_name": data.product.name.strip(), "demands": list(data.demands),
    })


def calendar_for(start: datetime, end: datetime) -> WorkCalendar:
    """Head-office working time (09:00–12:00, 13:00–18:00, statutory holidays and 调休)."""
    years = range(start.year, end.year + 2)
    overrides = {d: kind for d, kind, _ in statutory_days() if d.year in years}
    return WorkCalendar("Asia/Shanghai", overrides=overrides, first_day=date(start.year - 1, 1, 1),
                        last_day=date(end.year + 1, 12, 31))


@dataclass(frozen=True)
class _Facts:
    """What the life of one case depends on, read from its intake plan."""

    kind: str
    topic: str
    unit: str
    channel: str
    product: str
    batch: str
    demands: tuple[str, ...]
    received_at: datetime
    intake_at: datetime
    classified_at: datetime  # when the first classification is in force
    settled_at: datetime  # when the final classification is in force
    severity: str
    category: str
    first_category: str  # in force until a reclassification
    reclassify_at: datetime | None
    vip: bool
    slots: dict[str, str]


def _facts(plan: CasePlan, rng: random.Random) -> _Facts:
    data = plan.data
    final = plan.reclassify or plan.classify or data.classification
    first = plan.classify or data.classification
    settled = plan.reclassify_at or plan.classify_at or plan.intake_at
    assert data.received_at is not None
    name = data.customer.name
    polite = name if name.endswith(("女士", "先生", "经理", "老板", "店长", "主任", "科长", "记者")) else ""
    slots = {"short": _short(data.product.name), "batch": data.product.batch, "courier": rng.choice(COURIERS),
             "amount": str(rng.choice([20, 30, 50, 68, 88, 100, 150, 200])), "name": polite,
             "days": str(rng.choice([1, 2, 3]))}
    return _Facts(
        kind=data.kind, topic=plan.topic, unit=data.org_unit, channel=data.channel, product=data.product.name,
        batch=data.product.batch, demands=tuple(data.demands), received_at=data.received_at,
        intake_at=plan.intake_at, classified_at=plan.classify_at or plan.intake_at,
        settled_at=settled, severity=final.severity, category=final.category,
        first_category=first.category, reclassify_at=plan.reclassify_at if plan.reclassify else None,
        vip=data.customer.level == "vip", slots=slots,
    )


def _short(product: str) -> str:
    return product.removeprefix("禾悦") or "产品"


class _Life:
    """Builds one case's steps, tracking status and time so that every step is legal and later."""

    def __init__(self, facts: _Facts, rng: random.Random, cal: WorkCalendar) -> None:
        self.f, self.rng, self.cal = facts, rng, cal
        self.status: str = S.NEW
        self.resume = ""
        self.t = facts.intake_at
        self.steps: list[Step] = []
        self.department = ""
        self.lead = self.worker = ""
        self.owner_hint = ""  # an owner chosen by hand, known in advance
        self.responder = self.callback_agent = ""
        self.in_person = False
        self.remedy = "general"
        #: The status after each step, parallel to ``steps``.
        self.after: list[str] = []

    # --- time -----------------------------------------------------------------------------
    def work(self, lo: float, hi: float) -> datetime:
        """A moment ``lo``–``hi`` working minutes after the last step."""
        start = self.cal.next_working_moment(self.t)
        return self.cal.add(start, self.rng.uniform(lo, hi)) + timedelta(seconds=self.rng.randint(0, 59))

    def wall(self, lo: float, hi: float) -> datetime:
        return self.t + timedelta(minutes=self.rng.uniform(lo, hi))

    def _at(self, at: datetime) -> datetime:
        at = max(at, self.t + timedelta(seconds=self.rng.randint(20, 90)))
        self.t = at
        return at

    def severity_at(self, at: datetime) -> str:
        return self.f.severity if at >= self.f.settled_at else ""

    # --- steps ----------------------------------------------------------------------------
    def move(self, to: str, at: datetime, actors: tuple[str, ...], *, reason: str = "",
             by_owner: bool = False, not_by_proposer: bool = False) -> None:
        at = self._at(at)
        severity = self.f.severity if at >= self.f.settled_at else self._early_severity()
        able = tuple(a for a in dict.fromkeys(actors)
                     if a and may_move(a, self.status, to, self.resume, self.f.unit, severity))
        if not able:
            raise AssertionError(f"nobody of {actors} may move {self.status} → {to} ({self.f.topic})")
        if needs_reason(self.status, to, self.resume) and not reason:
            raise AssertionError(f"{self.status} → {to} needs a reason")
        self.steps.append(StatusStep(at, to, able, reason, by_owner, not_by_proposer))
        self._apply(to)
        self.after.append(self.status)

    def _early_severity(self) -> str:
        """Before the final classification, the severity in force is the first one (or none)."""
        return self.f.severity if self.f.reclassify_at is None else ""

    def _apply(self, to: str) -> None:
        detours = (S.AWAITING_INFO, S.ESCALATED)
        if to in detours:
            self.resume = self.status if self.status not in detours else self.resume
        elif self.status in detours:
            self.resume = ""
        self.status = to

    def assign(self, at: datetime, actors: tuple[str, ...], *, department: str = "", owner: str = "",
               coordinator: str = "", reason: str = "", expect: str) -> None:
        at = self._at(at)
        able = tuple(a for a in actors if may_assign(a, self.f.unit))
        assert able, f"nobody of {actors} may assign"
        self.steps.append(AssignStep(at, able, department, owner, coordinator, reason, expect))
        self.department, self.owner_hint = expect, owner
        self.lead, self.worker = (owner, owner) if owner else (LEAD[expect], WORKER[expect])
        if self.status in (S.NEW, S.ACCEPTED, S.REOPENED):
            self._apply(S.ASSIGNED)
        self.after.append(self.status)

    def say(self, at: datetime, actors: tuple[str, ...], kind: str, direction: str, body: str, *,
            visible: bool = False, subject: str = "", promise: datetime | None = None,
            by_owner: bool = False) -> None:
        at = self._at(at)
        able = tuple(a for a in actors if a and may_write(a, self.f.unit))
        assert able, f"nobody of {actors} may write on the case"
        self.steps.append(MessageStep(at, able, kind, direction, body, visible, subject, promise, by_owner))
        self.after.append(self.status)


class LifePlanner:
    """Plans the steps after intake for every case of one demo load."""

    def __init__(self, seed: int, end: datetime, cal: WorkCalendar) -> None:
        self.seed, self.end, self.cal = seed, end, cal

    def life(self, index: int, plan: CasePlan) -> tuple[Step, ...]:
        rng = random.Random(f"{self.seed}:life:{index}")
        facts = _facts(plan, rng)
        life = _Life(facts, rng, self.cal)
        self._choose_people(life, plan)
        missing = intake_missing(plan)
        if missing:
            life.status, life.resume = S.AWAITING_INFO, INTAKE_RESUME
            if "customer_contact" in missing:
                self._unreachable(life)
                return self._finish(life, rng)
            self._complete_info(life, missing)
        else:
            self._accept(life)
        kind, topic = facts.kind, facts.topic
        if kind == Kind.PRAISE or (kind == Kind.INQUIRY and (topic not in HANDLED_INQUIRIES
                                                               or rng.random() < 0.5)):
            self._answer_at_once(life)
        elif topic == "vague_complaint" and rng.random() < 0.65:
            self._reject(life)
        else:
            self._handle(life)
        return self._finish(life, rng)

    def _finish(self, life: _Life, rng: random.Random) -> tuple[Step, ...]:
        steps = self._recent(life, rng)
        return tuple(s for s in steps if s.at <= self.end)

    # --- the paths --------------------------------------------------------------------------
    def _responder(self, life: _Life, plan: CasePlan) -> str:
        """The first responder: whoever took the call, else an agent of the unit or head office."""
        actor, unit = plan.actor, life.f.unit
        if actor and actor != INTEGRATION_USER and ROLE[actor] in (Role.INTAKE_AGENT, Role.HANDLER):
            return actor
        if unit in STORE_INTAKE and life.f.channel not in ("portal", "survey") and life.rng.random() < 0.5:
            return life.rng.choice(STORE_INTAKE[unit])
        return life.rng.choice(HQ_AGENTS)

    def _choose_people(self, life: _Life, plan: CasePlan) -> None:
        rng = life.rng
        life.responder = self._responder(life, plan)
        store_staff = HOME[life.responder] != ROOT_CODE
        life.callback_agent = life.responder if store_staff or rng.random() < 0.5 else rng.choice(HQ_AGENTS)
        life.in_person = life.f.channel in ("walk_in", "phone") and plan.actor == life.responder

    def _unreachable(self, life: _Life) -> None:
        """An anonymous complaint that lacks what handling needs: nobody can be asked, it is rejected."""
        f, rng = life.f, life.rng
        life.say(life.work(10, 240), (life.responder,), MessageKind.NOTE, INTERNAL,
                 "顾客未留下联系方式，信息不全，暂无法核实。")
        at = max(life.work(2 * 480, 4 * 480), f.settled_at + timedelta(minutes=rng.randint(10, 90)))
        reason = "投诉不成立：顾客未留联系方式，无法核实与答复" if f.kind == Kind.COMPLAINT else \
            "不成立：顾客未留联系方式，无法答复"
        life.move(S.REJECTED, at, ("sunhui", *CLOSERS), reason=reason)

    def _complete_info(self, life: _Life, missing: list[str]) -> None:
        """Registered with fields missing (IN-5): the first responder asks, the customer answers."""
        wanted = "、".join(MISSING_WORDS.get(m, m) for m in missing)
        at = life.wall(2, 30) if life.in_person else life.work(5, 120)
        life.say(at, (life.responder,), MessageKind.CALL, OUT, f"已联系顾客，请其补充{wanted}。",
                 visible=True)
        life.say(life.work(30, 2 * 480), (life.responder,), MessageKind.CALL, IN,
                 f"顾客来电补充了{wanted}。", visible=False)
        life.move(S.ACCEPTED, life.wall(1, 10), (life.responder,), reason="顾客已补充信息")

    def _accept(self, life: _Life) -> None:
        f, rng = life.f, life.rng
        in_person = life.in_person
        if in_person:
            at = life.wall(1, 12)
        elif rng.random() < 0.05:
            at = life.work(600, 900)  # late: the first-response target is missed
        else:
            at = life.work(5, 150 if not f.vip else 60)
        life.move(S.ACCEPTED, at, (life.responder,))
        if f.kind == Kind.COMPLAINT and rng.random() < 0.3:
            days = int(f.slots["days"])
            promise = self.cal.add(life.t, days * 480)
            life.say(life.wall(2, 20), (life.responder,), MessageKind.CALL, OUT,
                     replies.pick(rng, replies.ACCEPT_CALLS, f.slots), visible=True, promise=promise)

    def _route(self, life: _Life, *, reason_ok: bool = True) -> None:
        f, rng = life.f, life.rng
        hq = ("sunhui", "majing")
        first = life.responder
        category = f.first_category if f.reclassify_at else f.category
        at = life.work(10, 200)
        if f.severity in (Severity.SERIOUS, Severity.SPECIAL) and at >= f.settled_at:
            at = life.wall(3, 14)  # relay within 15 minutes
        elif rng.random() < 0.06:
            at = life.work(300, 600)  # relayed late
        at = max(at, f.classified_at + timedelta(minutes=rng.randint(2, 30)))
        if f.topic in STORE_TOPICS and f.unit in REGION_OF and reason_ok and rng.random() < 0.8:
            owner = STORE_HANDLER.get(f.unit) or REGION_OF[f.unit]
            life.assign(at, hq, department="CS", owner=owner, reason=rng.choice(replies.REASONS["manual"]),
                        expect="CS")
            return
        expect = department_for(f.kind, category, f.product)
        serious = f.severity in (Severity.SERIOUS, Severity.SPECIAL)
        life.assign(at, (first, *hq), coordinator="sunhui" if serious else "", expect=expect)
        if f.reclassify_at is not None:
            final = department_for(f.kind, f.category, f.product)
            if final != expect:
                at = max(f.reclassify_at, life.t) + timedelta(minutes=rng.randint(20, 240))
                life.assign(at, ("sunhui",), department=final, reason=replies.REASONS["reclassified"][0],
                            expect=final)

    def _answer_at_once(self, life: _Life) -> None:
        """Praise and simple inquiries: answered at first contact, closed without a long path."""
        f, rng = life.f, life.rng
        body = replies.answer_text(rng, f.topic, f.kind, f.slots)
        slow = f.channel in ("email", "portal", "letter", "survey", "ecommerce", "wechat")
        life.say(life.work(10, 240) if slow else life.wall(1, 8), (life.responder,), MessageKind.REPLY, OUT,
                 body, visible=True, subject="感谢您的来信" if f.kind == Kind.PRAISE else "关于您的咨询")
        if may_move(life.responder, S.ACCEPTED, S.REPLIED, "", f.unit, ""):
            life.move(S.REPLIED, life.wall(1, 5), (life.responder,))
        else:  # the table has no shortcut: the desk itself runs the steps in minutes
            life.assign(life.wall(1, 5), (life.responder, "sunhui"), department="CS", owner="sunhui",
                        reason="", expect="CS")
            life.move(S.INVESTIGATING, life.wall(1, 10), ("sunhui",), by_owner=True)
            life.move(S.SOLUTION_PROPOSED, life.wall(2, 20), ("sunhui",), by_owner=True)
            life.move(S.SOLUTION_APPROVED, life.work(10, 120), ("majing",))
            life.move(S.REPLIED, life.wall(1, 10), (life.responder,))
        self._close(life, quick=True)

    def _reject(self, life: _Life) -> None:
        """Vague feedback: asked for evidence, none comes, rejected (不成立) with a reason."""
        f, rng = life.f, life.rng
        self._route(life, reason_ok=False)
        life.move(S.INVESTIGATING, life.work(20, 240), (life.lead,), by_owner=True)
        reason_key = "reject"
        if rng.random() < 0.7:
            life.say(life.work(10, 120), (life.responder,), MessageKind.CALL, OUT,
                     replies.pick(rng, replies.ASK_INFO_CALLS), visible=True)
            life.move(S.AWAITING_INFO, life.wall(1, 10), (life.responder, life.lead), by_owner=True,
                      reason=replies.pick(rng, replies.REASONS["awaiting_info"]))
            life.t = max(life.t, life.work(3 * 480, 5 * 480))
            reason_key = "no_info"
        life.say(max(life.work(30, 480), f.settled_at), (life.responder,), MessageKind.REPLY, OUT,
                 replies.reject_text(rng, f.slots), visible=True, subject="关于您反馈问题的核查结果")
        life.move(S.REJECTED, life.wall(5, 60), (life.lead, *CLOSERS), by_owner=True,
                  reason=replies.pick(rng, replies.REASONS[reason_key]))

    def _handle(self, life: _Life) -> None:
        """A complaint or suggestion worked by a department, from routing to archive."""
        f, rng = life.f, life.rng
        complaint = f.kind == Kind.COMPLAINT
        self._route(life)
        life.move(S.INVESTIGATING, life.work(10, 240), (life.lead, "sunhui"), by_owner=True)
        category = f.category or "other"
        if complaint and rng.random() < 0.4:
            life.say(life.work(30, 300), (life.worker, life.lead), MessageKind.NOTE, INTERNAL,
                     replies.pick(rng, replies.NOTES.get(category, replies.NOTES["other"]), f.slots),
                     by_owner=True)
        self._maybe_wait_for_info(life)
        self._maybe_reassign(life)
        self._maybe_escalate(life)
        self._solution(life)
        self._reply(life)
        if complaint and rng.random() < 0.08:  # the customer is still not satisfied
            self._callback(life, satisfied=False)
            life.move(S.REOPENED, life.wall(1, 10), (life.callback_agent,),
                      reason=replies.pick(rng, replies.REASONS["reopen"]))
            life.move(S.INVESTIGATING, life.work(30, 300), (life.lead, "sunhui"), by_owner=True)
            self._solution(life, again=True)
            self._reply(life)
        self._close(life, quick=not complaint and rng.random() < 0.6)

    def _maybe_wait_for_info(self, life: _Life) -> None:
        f, rng = life.f, life.rng
        if f.kind != Kind.COMPLAINT:
            return
        product_case = f.category in ("product_quality", "packaging") and f.product and not f.batch
        if not (product_case and rng.random() < 0.6) and rng.random() >= 0.04:
            return
        life.say(life.work(10, 120), (life.responder,), MessageKind.CALL, OUT,
                 replies.pick(rng, replies.ASK_INFO_CALLS), visible=True)
        life.move(S.AWAITING_INFO, life.wall(1, 10), (life.responder, life.lead), by_owner=True,
                  reason=replies.pick(rng, replies.REASONS["awaiting_info"]))
        life.say(life.work(240, 3 * 480), (life.responder,), MessageKind.CALL, IN,
                 replies.pick(rng, replies.INFO_RECEIVED), visible=False)
        life.move(S.INVESTIGATING, life.work(5, 90), (life.lead, "sunhui"), by_owner=True,
                  reason=replies.pick(rng, replies.REASONS["info_back"]))

    def _maybe_reassign(self, life: _Life) -> None:
        f, rng = life.f, life.rng
        to = ""
        if f.topic in FIN_TOPICS and life.department == "CS" and rng.random() < 0.7:
            to, key = "FIN", "reassign_fin"
        elif f.topic in PROD_TOPICS and life.department == "QA" and rng.random() < 0.15:
            to, key = "PROD", "reassign_prod"
        if not to:
            return
        life.assign(life.work(30, 300), ("sunhui",), department=to, coordinator="sunhui",
                    reason=replies.REASONS[key][0], expect=to)

    def _maybe_escalate(self, life: _Life) -> None:
        f, rng = life.f, life.rng
        grave = f.severity in (Severity.SERIOUS, Severity.SPECIAL) or f.topic in ("media_enquiry",
                                                                                   "regulator_notice")
        if not grave or rng.random() >= 0.55 or life.t < f.settled_at:
            return
        life.move(S.ESCALATED, life.work(10, 120), ("zhengtao", life.lead, "majing"),
                  reason=replies.pick(rng, replies.REASONS["escalate"]))
        life.move(S.INVESTIGATING, life.work(30, 240), ("hejianguo",),
                  reason=replies.pick(rng, replies.REASONS["escalation_back"]))

    def _solution(self, life: _Life, *, again: bool = False) -> None:
        f, rng = life.f, life.rng
        fast = f.severity in (Severity.SERIOUS, Severity.SPECIAL) or f.vip
        if rng.random() < 0.12 and not again:
            at = life.work(2 * 480, 4 * 480)  # slow: the handling and reply targets are missed
        else:
            at = life.work(30, 240) if fast else life.work(120, 600)
        proposers = (life.worker, life.lead, "sunhui")
        life.move(S.SOLUTION_PROPOSED, at, proposers, by_owner=True)
        approvers = self._approvers(life)
        if rng.random() < 0.08:
            life.move(S.INVESTIGATING, life.work(20, 240), approvers,
                      reason=replies.pick(rng, replies.REASONS["send_back"]), not_by_proposer=True)
            life.move(S.SOLUTION_PROPOSED, life.work(60, 360), proposers, by_owner=True)
        at = max(life.work(15, 300), f.settled_at + timedelta(minutes=rng.randint(5, 60)))
        life.move(S.SOLUTION_APPROVED, at, approvers, not_by_proposer=True)
        life.remedy = replies.remedy_for(rng, f.topic, f.category, f.demands)
        if f.kind == Kind.COMPLAINT and life.remedy in ("replacement", "visit", "compensation", "refund") \
                and rng.random() < 0.5:
            life.move(S.IMPLEMENTING, life.work(10, 180), (life.lead, life.worker, "sunhui"), by_owner=True)

    def _approvers(self, life: _Life) -> tuple[str, ...]:
        severity = life.f.severity
        if severity in APPROVER_CHAIN:
            return APPROVER_CHAIN[severity]
        head = life.lead if ROLE.get(life.lead) == Role.DEPARTMENT_HEAD else ""
        quality = "zhengtao" if life.department == "QA" else ""
        return tuple(a for a in (head, quality, "majing") if a)

    def _reply(self, life: _Life) -> None:
        f, rng = life.f, life.rng
        if f.kind == Kind.COMPLAINT:
            body = replies.reply_text(rng, life.remedy, f.slots)
        else:
            body = replies.answer_text(rng, f.topic, f.kind, f.slots)
        life.say(life.work(20, 360), (life.responder,), MessageKind.REPLY, OUT, body, visible=True,
                 subject="关于您反馈问题的处理结果")
        life.move(S.REPLIED, life.wall(1, 15), (life.responder, "sunhui"))

    def _callback(self, life: _Life, *, satisfied: bool) -> None:
        rng = life.rng
        late = rng.random() < 0.06
        at = life.work(6 * 480, 9 * 480) if late else life.work(480, 4 * 480)
        agent = life.callback_agent
        lines = replies.CALLBACK_SATISFIED if satisfied else replies.CALLBACK_UNSATISFIED
        life.say(at, (agent, "liuting"), MessageKind.CALL, OUT, replies.pick(rng, lines))
        life.move(S.CALLBACK, life.wall(1, 5), (agent, "liuting"))

    def _close(self, life: _Life, *, quick: bool) -> None:
        f, rng = life.f, life.rng
        if quick and rng.random() < 0.75:
            reason = replies.REASONS["close_no_callback"][0 if f.kind == Kind.INQUIRY else 1]
            if f.kind == Kind.SUGGESTION:
                reason = "建议已答复，无需回访"
            at = max(life.work(30, 900), f.settled_at + timedelta(minutes=rng.randint(10, 120)))
            life.move(S.CLOSED, at, ("majing",), reason=reason)
        else:
            self._callback(life, satisfied=True)
            at = max(life.wall(1, 10), f.settled_at + timedelta(minutes=rng.randint(10, 120)))
            life.move(S.CLOSED, at, (life.callback_agent, *CLOSERS))
        self._archive(life)

    def _archive(self, life: _Life) -> None:
        """Closed cases are archived in the monthly run after three months."""
        due = (life.t + ARCHIVE_AFTER).astimezone(TZ).date()
        month = date(due.year + due.month // 12, due.month % 12 + 1, 1)
        while not self.cal.is_working_day(month):
            month += timedelta(days=1)
        at = datetime.combine(month, time(10), TZ) + timedelta(minutes=life.rng.randint(0, 90))
        if at <= self.end:
            life.move(S.ARCHIVED, at, ("majing",))

    # --- recent cases -----------------------------------------------------------------------
    def _recent(self, life: _Life, rng: random.Random) -> list[Step]:
        """Leave most cases of the last two weeks in an open state, as a live desk has them."""
        if life.f.received_at < self.end - RECENT or rng.random() >= 0.7:
            return life.steps
        before = [S.NEW, *life.after]
        options = [(-1, S.NEW)] + [(i, state) for i, state in enumerate(life.after)
                                    if state in OPEN_WEIGHTS and state != before[i]]
        cut, _state = rng.choices(options, weights=[OPEN_WEIGHTS[state] for _, state in options])[0]
        return life.steps[: cut + 1]


def plan_lives(plans: list[CasePlan], *, seed: int, start: datetime, end: datetime) -> list[CasePlan]:
    """``plans`` with each case's life after intake filled in (``CasePlan.life``)."""
    planner = LifePlanner(seed, end, calendar_for(start, end))
    return [replace(p, life=planner.life(i, p)) for i, p in enumerate(plans)]
