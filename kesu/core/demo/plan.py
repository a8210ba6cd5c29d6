"""Plan the demo cases: pure, seeded, no database.

``plan_cases`` decides everything about every case — when it arrived, who called, about
what, through which channel, at which store, in whose words, who registered and who
classified it and when — and returns plain ``CasePlan`` values in the order of receipt.
The same seed and end date always give the same plans; ``kesu.core.demo.cases`` then
feeds them to the real actions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from kesu.cases.actions import Classification, NewCase, ProductInput
from kesu.cases.choices import Channel, Kind, Priority, Severity
from kesu.core.defaults import ROOT_CODE
from kesu.core.demo import texts
from kesu.core.demo.catalogue import BY_CODE as PRODUCT
from kesu.core.demo.catalogue import COURIERS, PLATFORMS, PRODUCTS, Product
from kesu.core.demo.org import REGIONS, STORES, UNITS
from kesu.core.demo.people import SURNAMES, CustomerFactory, CustomerSpec
from kesu.core.demo.steps import Step
from kesu.core.demo.texts import BY_CODE as TOPIC
from kesu.core.demo.texts import TOPICS, Topic
from kesu.core.demo.timeline import moment as day_moment
from kesu.core.demo.timeline import sample_days, seasons, window
from kesu.customers.actions import CustomerInput
from kesu.customers.choices import CustomerLevel, CustomerType

CT = CustomerType

CUSTOMER_TYPE_WEIGHTS: dict[str, float] = {
    CT.CONSUMER: 0.86, CT.DISTRIBUTOR: 0.03, CT.SUPERMARKET: 0.02, CT.RETAILER: 0.02, CT.BUYER: 0.025,
    CT.REGULATOR: 0.005, CT.MEDIA: 0.004, CT.INTERNAL: 0.025,
}
KIND_FACTOR: dict[str, float] = {
    Kind.COMPLAINT: 0.85, Kind.INQUIRY: 1.0, Kind.SUGGESTION: 1.3, Kind.PRAISE: 1.3,
}

CONSUMER_CHANNELS: dict[str, float] = {
    Channel.PHONE: 30, Channel.WALK_IN: 14, Channel.ECOMMERCE: 14, Channel.WECHAT: 12, Channel.PORTAL: 9,
    Channel.EMAIL: 5, Channel.API: 4, Channel.SOCIAL_MEDIA: 3, Channel.THIRD_PARTY: 3, Channel.LETTER: 2,
    Channel.SURVEY: 1.5, Channel.FAX: 0.5,
}
ONLINE_ONLY = {Channel.ECOMMERCE, Channel.API}
STORE_FORBIDS = ONLINE_ONLY
ONLINE_FORBIDS = {Channel.WALK_IN, Channel.SURVEY}
VAGUE_CHANNELS: dict[str, float] = {
    Channel.ECOMMERCE: 5, Channel.SURVEY: 3, Channel.PORTAL: 2, Channel.WECHAT: 2, Channel.WALK_IN: 1,
}
BUSINESS_CHANNELS: dict[str, float] = {
    Channel.PHONE: 35, Channel.EMAIL: 28, Channel.WECHAT: 20, Channel.FAX: 10, Channel.LETTER: 5,
    Channel.DINGTALK: 2,
}
CLUSTER_CHANNELS: list[str] = [Channel.PHONE, Channel.PHONE, Channel.WALK_IN, Channel.WECHAT, Channel.PORTAL]

# Who registers a case, by where it arrived.
HQ_AGENTS = ("wangfang", "liuting")
STORE_INTAKE = {"SH-NJL": ("lina", "zhaolei"), "GZ-TH": ("chenjing",), "HZ-XH": ("guoyan",),
                "SZ-NS": ("yangfan",), "FS-ZM": ("dengli",)}
STORE_HANDLER = {"SH-NJL": "zhaolei", "SZ-NS": "yangfan", "FS-ZM": "dengli"}
REGION_HANDLER = {"EAST": "liuyang", "SOUTH": "huangwei"}
INTERNAL_REPORTERS = ("zhouqiang", "xumin", "wujun")
INTEGRATION_USER = "dianshang_api"


@dataclass(frozen=True)
class CasePlan:
    data: NewCase
    actor: str | None              # username of the first responder; None for portal and survey
    intake_at: datetime            # the moment the intake is recorded
    idempotency_key: str | None = None
    classify: Classification | None = None
    classify_by: str | None = None
    classify_at: datetime | None = None
    reclassify: Classification | None = None
    reclassify_by: str | None = None
    reclassify_at: datetime | None = None
    customer_key: int | None = None
    topic: str = ""
    cluster: str = ""
    #: What happens after intake, in order (``kesu.core.demo.workflow``).
    life: tuple[Step, ...] = ()


@dataclass
class _Seen:
    spec: CustomerSpec
    last_topic: str
    frequent: bool
    last_at: datetime | None = None


@dataclass(frozen=True)
class _Flags:
    repeat: bool
    threat: bool
    health: bool
    wrap: str


@dataclass(frozen=True)
class _Cluster:
    product: Product
    topic: Topic
    batch: str
    days: list[date]
    stores: list[str]


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _region_of(unit: str) -> str:
    spec = UNITS.get(unit)
    if spec is None:
        return ""
    return spec.code if spec.kind == "region" else spec.parent


STORE_CODES = frozenset(s.code for s in STORES)
COUNTED_TOPICS = frozenset({"trade_shortage", "wrong_item"})


def _compatible(unit: str, topic: Topic, channel: str) -> bool:
    """Whether a returning customer's usual unit fits this case."""
    if channel == Channel.WALK_IN or topic.where == "store":
        return unit in STORE_CODES
    if channel in ONLINE_ONLY:
        return unit == ROOT_CODE
    return True


def _bump(priority: str) -> str:
    up: dict[str, str] = {Priority.GENERAL: Priority.IMPORTANT, Priority.IMPORTANT: Priority.URGENT}
    return up.get(priority, priority)


class Planner:
    def __init__(self, rng: random.Random, end: datetime) -> None:
        self.rng = rng
        self.end = end
        self.factory = CustomerFactory(rng)
        self.seen: dict[int, _Seen] = {}
        self.frequent: list[int] = []
        self.serial = 0

    # --- choosing ---------------------------------------------------------------------------
    def topic_for(self, ctype: str, day: date) -> Topic:
        flags = seasons(day)
        weights: dict[str, float] = {}
        for t in TOPICS:
            if ctype not in t.ctypes:
                continue
            w = t.weight * KIND_FACTOR[t.kind]
            for flag, factor in t.seasons.items():
                if flag in flags:
                    w = max(w, 0.5) * factor
            if w > 0:
                weights[t.code] = w
        return TOPIC[_weighted(self.rng, weights)]

    def product_for(self, topic: Topic, day: date) -> Product | None:
        if not topic.groups or (topic.product_optional and self.rng.random() < 0.2):
            return None
        flags = seasons(day)
        choices = [p for p in PRODUCTS if p.group in topic.groups and (not p.season or p.season in flags)]
        if not choices:
            return None
        return self.rng.choices(choices, weights=[p.weight for p in choices])[0]

    def channel_for(self, topic: Topic, ctype: str) -> str:
        rng = self.rng
        if topic.channels:
            return rng.choice(topic.channels)
        if topic.validity == "vague":
            return _weighted(rng, VAGUE_CHANNELS)
        if ctype in texts.BUSINESS:
            return _weighted(rng, BUSINESS_CHANNELS)
        weights = dict(CONSUMER_CHANNELS)
        forbid = {"store": STORE_FORBIDS, "online": ONLINE_FORBIDS}.get(topic.where, set())
        if topic.kind != Kind.COMPLAINT:
            forbid = forbid | {Channel.THIRD_PARTY, Channel.SOCIAL_MEDIA, Channel.LETTER, Channel.FAX}
        if topic.kind == Kind.INQUIRY:
            forbid = forbid | {Channel.SURVEY}
        for ch in forbid:
            weights.pop(ch, None)
        return _weighted(rng, weights)

    def unit_for(self, topic: Topic, ctype: str, channel: str) -> str:
        rng = self.rng
        stores = {s.code: s.weight for s in STORES}
        if channel == Channel.WALK_IN or topic.where == "store":
            return _weighted(rng, stores)
        if channel in ONLINE_ONLY or ctype in {CT.REGULATOR, CT.MEDIA, CT.INTERNAL}:
            return ROOT_CODE
        if ctype in texts.BUSINESS:
            return rng.choice([r.code for r in REGIONS]) if rng.random() < 0.6 else ROOT_CODE
        if topic.where == "online":
            return ROOT_CODE
        return _weighted(rng, stores) if rng.random() < 0.65 else ROOT_CODE

    def repeat_customer(self) -> _Seen | None:
        """Now and then a customer who has been in touch before comes back."""
        if self.frequent and self.rng.random() < 0.14:
            return self.seen[self.rng.choice(self.frequent)]
        return None

    # --- one case ---------------------------------------------------------------------------
    def plan(self, day: date, *, forced_type: str | None = None, cluster: _Cluster | None = None) -> CasePlan:
        rng = self.rng
        seen = None if cluster or forced_type else self.repeat_customer()
        ctype = seen.spec.type if seen else (forced_type or _weighted(rng, CUSTOMER_TYPE_WEIGHTS))
        repeat_same = False
        if cluster is not None:
            topic = cluster.topic
        elif seen is not None and rng.random() < 0.5:
            topic = TOPIC[seen.last_topic]
            repeat_same = topic.kind == Kind.COMPLAINT
        else:
            topic = self.topic_for(ctype, day)
        product = cluster.product if cluster else self.product_for(topic, day)
        if cluster is not None:
            channel = rng.choice(CLUSTER_CHANNELS)
            unit = rng.choice(cluster.stores)
        else:
            channel = self.channel_for(topic, ctype)
            unit = self.unit_for(topic, ctype, channel)
            if seen is not None and _compatible(seen.spec.unit, topic, channel):
                unit = seen.spec.unit
        if channel == Channel.WALK_IN and unit not in STORE_CODES:
            channel = Channel.PHONE
        if seen is None:
            spec = self.factory.make(ctype, unit)
            if channel == Channel.EMAIL and not spec.email:
                spec = replace(spec, email=self.factory.email(f"kehu{spec.key}"))
            frequent = cluster is None and rng.random() < (0.35 if ctype in texts.BUSINESS else 0.09)
            seen = _Seen(spec, topic.code, frequent)
            self.seen[spec.key] = seen
            if frequent:
                self.frequent.append(spec.key)
        else:
            seen.last_topic = topic.code
            if channel == Channel.EMAIL and not seen.spec.email:
                channel = Channel.PHONE
        plan = self._build(day, topic, product, channel, unit, seen.spec, repeat_same, cluster, seen.last_at)
        assert plan.data.received_at is not None
        seen.last_at = plan.data.received_at
        return plan

    def _build(
        self, day: date, topic: Topic, product: Product | None, channel: str, unit: str,
        customer: CustomerSpec, repeat_same: bool, cluster: _Cluster | None, not_before: datetime | None,
    ) -> CasePlan:
        rng = self.rng
        received_at = day_moment(rng, day, channel, self.end)
        if not_before is not None and received_at <= not_before:
            # The same customer again on the same day: a little later than last time.
            received_at = min(not_before + timedelta(minutes=rng.randint(40, 300)), self.end)
        is_complaint = topic.kind == Kind.COMPLAINT
        slots = self._slots(day, topic, product, unit, customer, cluster)
        batch = slots["batch"]
        voice = texts.VOICE.get(customer.type, "consumer")
        threat = is_complaint and voice == "consumer" and topic.validity != "vague" and (
            rng.random() < (0.05 if not topic.hazard else 0.1) + (0.1 if repeat_same else 0))
        health = (is_complaint and topic.hazard and product is not None and product.group in texts.FOOD
                  and rng.random() < 0.06)
        foreign_hazard = topic.code == "foreign_matter" and slots["foreign_hazard"]
        demands = rng.choice(topic.demands) if is_complaint else ()
        if health and texts.COMP not in demands:
            demands = (*demands, texts.COMP)
        if is_complaint and demands and topic.validity != "vague" and rng.random() < 0.06:
            demands = ()  # the customer only vented: the case waits for their demands
        wrap = ""
        if channel == Channel.THIRD_PARTY:
            wrap = rng.choice(texts.COURIER_WRAP if topic.category == "delivery" else texts.TRANSFER_WRAP)
        line = self._problem(topic, product, slots)
        flags = _Flags(repeat=repeat_same, threat=threat, health=health, wrap=wrap)
        description = self._describe(topic, channel, product, slots, line.text, voice, demands, flags)
        title = ""
        if rng.random() < 0.68:
            own = line.title and rng.random() < 0.8
            title = (line.title if own else rng.choice(topic.titles)).format_map(slots)
            if threat and rng.random() < 0.5:
                title = "【紧急】" + title
        anonymous = channel == Channel.PORTAL and rng.random() < 0.12 and cluster is None
        nickname = (channel in {Channel.SOCIAL_MEDIA, Channel.ECOMMERCE} and rng.random() < 0.15
                    and cluster is None)
        cinput = self._customer_input(customer, channel, anonymous, nickname)
        customer_key = None if anonymous or nickname else customer.key

        severity = topic.severity
        priority = topic.priority
        if health:
            severity, priority = Severity.SERIOUS, Priority.URGENT
        if threat or foreign_hazard or "12315" in wrap:
            priority = Priority.URGENT
        if (customer.level == CustomerLevel.VIP and not anonymous) or repeat_same:
            priority = _bump(priority)
        final = Classification(category=topic.category, validity=topic.validity, severity=severity,
                               priority=priority)
        emotion = rng.choice(topic.emotions)
        if threat or repeat_same:
            emotion = texts.A
        elif health:
            emotion = rng.choice((texts.A, texts.E))
        if rng.random() < 0.08:
            emotion = ""

        quantity = defective = None
        if product is not None and is_complaint:
            quantity = slots["qty"]  # the number the customer's own words give
            if topic.category in {"product_quality", "packaging"} or topic.code in COUNTED_TOPICS:
                defective = min(quantity, slots["defect"])
        online = channel in ONLINE_ONLY or (unit == ROOT_CODE and topic.where != "store")
        has_order = product is not None and (online or customer.type in texts.BUSINESS)
        order_ref = str(slots["order"]) if has_order else ""
        delivered_on = day - timedelta(days=rng.randint(1, 6)) if order_ref and rng.random() < 0.7 else None
        serial = ""
        if product is not None and not product.has_batch and rng.random() < 0.6:
            serial = f"{product.serial_prefix}{day:%y%m}{rng.randrange(10000):04d}"
        self.serial += 1
        data = NewCase(
            kind=topic.kind, channel=channel, description=description, org_unit=unit, title=title,
            customer=cinput,
            product=ProductInput(
                name=product.name if product else "", model=product.model if product else "",
                batch=batch, serial=serial, delivered_on=delivered_on, quantity=quantity,
                defective_quantity=defective,
            ),
            demands=list(demands), emotion=emotion, order_ref=order_ref, received_at=received_at,
        )
        return self._assign(data, topic, final, channel, unit, customer, customer_key, cluster)

    def _assign(
        self, data: NewCase, topic: Topic, final: Classification, channel: str, unit: str,
        customer: CustomerSpec, customer_key: int | None, cluster: _Cluster | None,
    ) -> CasePlan:
        """Who registers and classifies the case, and when."""
        rng = self.rng
        received_at = data.received_at
        assert received_at is not None
        actor: str | None
        if channel in {Channel.PORTAL, Channel.SURVEY}:
            actor, delay = None, timedelta(seconds=rng.randint(0, 40))
        elif channel in ONLINE_ONLY:
            actor, delay = INTEGRATION_USER, timedelta(seconds=rng.randint(1, 90))
        elif customer.type == CT.INTERNAL:
            actor, delay = rng.choice(INTERNAL_REPORTERS), timedelta(minutes=rng.randint(3, 50))
        elif channel == Channel.WALK_IN:
            local = STORE_INTAKE.get(unit) or (REGION_HANDLER[_region_of(unit)],)
            actor, delay = rng.choice(local), timedelta(minutes=rng.randint(3, 25))
        else:
            if unit in STORE_INTAKE and rng.random() < 0.3:
                actor = rng.choice(STORE_INTAKE[unit])
            elif unit in REGION_HANDLER and rng.random() < 0.5:
                actor = REGION_HANDLER[unit]
            else:
                actor = rng.choice(HQ_AGENTS)
            slow = channel in {Channel.LETTER, Channel.FAX, Channel.EMAIL, Channel.THIRD_PARTY}
            delay = timedelta(minutes=rng.randint(30, 26 * 60) if slow else rng.randint(2, 20))
        intake_at = min(received_at + delay, self.end)
        key = f"demo-{data.order_ref or self.serial}" if actor == INTEGRATION_USER else None

        plan = CasePlan(data=data, actor=actor, intake_at=intake_at, idempotency_key=key,
                        customer_key=customer_key, topic=topic.code, cluster=cluster.batch if cluster else "")
        if rng.random() < 0.1:
            return plan  # never classified: the backlog
        at_intake = actor not in {None, INTEGRATION_USER} and rng.random() < 0.3
        if at_intake:
            first = self._first_guess(final) if rng.random() < 0.15 else final
            plan = replace(plan, data=replace(data, classification=first))
            if first != final:
                at = intake_at + timedelta(minutes=rng.randint(30, 72 * 60))
                if at <= self.end:
                    plan = replace(plan, reclassify=final, reclassify_by="zhengtao", reclassify_at=at)
            return plan
        # Classified while the case is relayed: within a few hours, so the rules can route it.
        at = intake_at + timedelta(minutes=15 + (rng.randint(15, 30 * 60) - 15) // 8)
        if at > self.end:
            return plan
        return replace(plan, classify=final, classify_by=self._classifier(final, unit), classify_at=at)

    def _first_guess(self, final: Classification) -> Classification:
        """The intake agent's first, milder guess that the quality engineer later corrects."""
        lower: dict[str, str] = {
            Severity.MAJOR: Severity.MINOR, Severity.SERIOUS: Severity.MAJOR,
            Severity.MINOR: Severity.GENERAL, Severity.SPECIAL: Severity.GENERAL,
        }
        down: dict[str, str] = {Priority.URGENT: Priority.IMPORTANT, Priority.IMPORTANT: Priority.GENERAL}
        if final.severity in lower:
            return replace(final, severity=lower[final.severity])
        return replace(final, priority=down.get(final.priority, final.priority), category="other")

    def _classifier(self, final: Classification, unit: str) -> str:
        rng = self.rng
        serious = final.severity in {Severity.MAJOR, Severity.SERIOUS, Severity.SPECIAL}
        if final.category in {"product_quality", "packaging"} and serious and rng.random() < 0.7:
            return "zhengtao"
        if unit in STORE_HANDLER and rng.random() < 0.7:
            return STORE_HANDLER[unit]
        if unit != ROOT_CODE and rng.random() < 0.6:
            return REGION_HANDLER[_region_of(unit)]
        return _weighted(rng, {"sunhui": 6, "majing": 2.5, "zhengtao": 1.5})

    # --- words ------------------------------------------------------------------------------
    def _slots(self, day: date, topic: Topic, product: Product | None, unit: str, customer: CustomerSpec,
               cluster: _Cluster | None) -> dict[str, Any]:
        rng = self.rng
        store_spec = next((s for s in STORES if s.code == unit), None) or rng.choice(
            [s for s in STORES if _region_of(s.code) == _region_of(unit)] or STORES)
        bought = day - timedelta(days=rng.randint(1, 12))
        ago = (day - bought).days
        date_text = {1: "昨天", 2: "前天"}.get(ago) or rng.choice(
            [f"{bought.month}月{bought.day}号", f"{ago}天前", "上周" if ago >= 5 else "这周"])
        platform, prefix, _ = rng.choices(PLATFORMS, weights=[w for *_, w in PLATFORMS])[0]
        if customer.type in texts.BUSINESS:
            order = f"XS{day:%Y%m}{rng.randrange(10000):04d}"
        else:
            order = f"{prefix}{bought:%Y%m%d}{rng.randrange(10**8):08d}"
        batch = ""
        if cluster is not None:
            batch = cluster.batch
        elif product is not None and product.has_batch and not topic.product_optional:
            needs = any("{batch}" in line for line in topic.problems) and not topic.context
            if needs or rng.random() < 0.7:
                assert product.shelf_days is not None
                made = bought - timedelta(days=rng.randint(1, max(2, min(product.shelf_days - 1, 240))))
                batch = f"{made:%Y%m%d}{rng.choice('AAABBC')}"
        foreign, foreign_short, hazard = rng.choice(texts.FOREIGN)
        qty = rng.randint(*topic.quantity)
        defect_n = rng.randint(1, max(1, min(qty - 1, 3 if qty < 10 else qty // 8)))
        return {
            "product": product.name if product else "东西", "short": product.short if product else "东西",
            "spec": product.model if product else "", "unit": product.unit if product else "个",
            "store": store_spec.name, "platform": platform, "days": rng.randint(3, 12),
            "n": rng.randint(2, 5), "grams": rng.choice([12, 15, 18, 20, 25, 30, 35, 40, 48, 60]),
            "minutes": rng.choice([20, 25, 30, 40, 45, 50, 60, 80]),
            "amount": rng.choice([15, 20, 30, 35, 50, 68, 80, 100, 120, 150, 200, 260, 300, 500, 800]),
            "foreign": foreign, "foreign_short": foreign_short, "foreign_hazard": hazard,
            "courier": rng.choice(COURIERS), "batch": batch, "date": date_text,
            "time": rng.choice(texts.TIMES),
            "staff": rng.choice(texts.STAFF_WHO).format(staff_no=rng.randint(1001, 1099)),
            "staff2": rng.choice(texts.STAFF_PRAISED), "place": rng.choice(texts.PLACES),
            "city": customer.city, "qty": qty, "defect": defect_n, "received": max(1, qty - defect_n),
            "order": order, "score": rng.randint(1, 2),
            "name": customer.name, "org": customer.organisation or "禾悦食品",
            "today": f"{day.year}年{day.month}月{day.day}日",
        }

    def _problem(self, topic: Topic, product: Product | None, slots: dict[str, Any]) -> texts.Line:
        group = product.group if product else None
        has_batch = bool(slots["batch"])
        lines = topic.problem_lines(group, has_batch) or topic.problem_lines(None, has_batch)
        return self.rng.choice(lines)

    def _describe(self, topic: Topic, channel: str, product: Product | None, slots: dict[str, Any],
                  problem: str, voice: str, demands: tuple[str, ...], flags: _Flags) -> str:
        """The customer's words: opener, context, the problem, details, demands, closer."""
        rng = self.rng
        pick = texts.pick_line
        style = texts.STYLE.get(channel, "online")
        if topic.validity == "vague":
            return problem.format_map(slots)
        consumer = voice == "consumer"
        body: list[str] = []
        if topic.kind == Kind.COMPLAINT:
            if consumer and topic.context and product is not None:
                body.append(pick(rng, self._contexts(topic, channel)))
            body.append(problem)
            if consumer and slots["batch"] and "{batch}" not in problem and rng.random() < 0.35:
                body.append(pick(rng, texts.BATCH_NOTES))
            if topic.details and rng.random() < 0.55:
                body.append(pick(rng, topic.details))
            if consumer and topic.context and rng.random() < 0.2:
                body.append(pick(rng, texts.GENERIC_DETAILS))
            if flags.repeat:
                body.append(pick(rng, texts.REPEAT_LINES if consumer else texts.TRADE_REPEAT_LINES))
            if flags.health:
                body.append(pick(rng, texts.HEALTH))
            if flags.threat:
                body.append(pick(rng, texts.THREATS))
            if demands and rng.random() < 0.85:
                food = product is not None and product.group in texts.FOOD
                body.append(texts.demand_sentence(rng, demands, voice=voice, food=food, health=flags.health))
            closers = texts.CLOSERS[style if consumer or style in {"letter", "email"} else voice]
        else:
            body.append(problem)
            by_kind: dict[str, tuple[str, ...]] = {
                Kind.INQUIRY: texts.ASK_CLOSERS, Kind.SUGGESTION: texts.SUGGEST_CLOSERS}
            closers = by_kind.get(topic.kind, texts.PRAISE_CLOSERS)
        text = "".join(body)
        if flags.wrap:
            return (flags.wrap + text + pick(rng, texts.TRANSFER_END)).format_map(slots)
        if channel == Channel.SURVEY and topic.kind == Kind.COMPLAINT:
            return (pick(rng, texts.SURVEY_WRAP) + text).format_map(slots)
        if style == "letter" and voice == "official":
            return ("禾悦食品有限公司：\n" + text + pick(rng, closers) + "\n{org}\n{today}").format_map(slots)
        opener_style = style if consumer or style in {"letter", "email"} else voice
        if opener_style == "ecommerce" and topic.kind != Kind.COMPLAINT:
            opener_style = "online"  # "差评" openers belong to complaints
        opener = pick(rng, texts.OPENERS[opener_style]) if topic.kind != Kind.PRAISE else ""
        text = opener + text + pick(rng, closers)
        if style == "letter":
            text += "\n{org}\n{name}\n{today}" if voice == "trade" else "\n{name}\n{today}"
        return text.format_map(slots).strip()

    def _contexts(self, topic: Topic, channel: str) -> tuple[str, ...]:
        """Where and when the customer bought what they complain about."""
        if topic.product_optional:
            return texts.CONTEXT_SERVICE
        if channel in ONLINE_ONLY or topic.where == "online":
            return texts.CONTEXT_ONLINE
        if channel == Channel.WALK_IN or self.rng.random() < 0.75:
            return texts.CONTEXT_STORE
        return texts.CONTEXT_ONLINE

    def _customer_input(self, customer: CustomerSpec, channel: str, anonymous: bool,
                        nickname: bool) -> CustomerInput:
        rng = self.rng
        if anonymous:
            return CustomerInput()
        if nickname:
            sur = rng.choice(SURNAMES)[1]
            label = rng.choice(texts.SOCIAL_NAMES) if channel == Channel.SOCIAL_MEDIA else "买家"
            return CustomerInput(name=f"{label} {sur[0]}***{rng.randint(0, 9)}")
        return customer.as_input(
            rng, with_email=channel == Channel.EMAIL or (bool(customer.email) and rng.random() < 0.4),
            with_address=channel in {Channel.LETTER, Channel.WALK_IN, Channel.FAX} or rng.random() < 0.4,
        )


CLUSTERS = [  # (position in the window, relative size, product, topic)
    (0.31, 1.0, "YOG-6", "spoiled_dairy"), (0.5, 0.7, "BRD-WW", "mould"),
    (0.71, 1.3, "MILK-12", "foreign_matter"), (0.93, 0.8, "NUT-30", "package_damaged"),
]


def _clusters(rng: random.Random, n: int, start: datetime, end: datetime) -> list[_Cluster]:
    """A few batches with a burst of complaints within days (AN-4 batch clusters)."""
    if n < 40:
        return []
    out = []
    span = (end - start).days
    for pos, share, code, topic in CLUSTERS:
        size = max(2, round(n * 0.012 * share))
        product = PRODUCT[code]
        assert product.shelf_days is not None
        first = start.date() + timedelta(days=int(span * pos))
        made = first - timedelta(days=rng.randint(1, max(2, min(product.shelf_days - 1, 12))))
        region = rng.choice(REGIONS).code
        stores = [s.code for s in STORES if s.parent == region]
        last = min(first + timedelta(days=6), end.date())
        days = sorted(first + timedelta(days=rng.randint(0, (last - first).days)) for _ in range(size))
        out.append(_Cluster(product, TOPIC[topic], f"{made:%Y%m%d}{rng.choice('AB')}", days, stores))
    return out


def plan_cases(n: int, *, seed: int, until: date, now: datetime) -> list[CasePlan]:
    """``n`` cases over the twelve months ending ``until``, in order of receipt."""
    rng = random.Random(seed)
    start, end = window(until, now)
    clusters = _clusters(rng, n, start, end)
    n_regular = n - sum(len(c.days) for c in clusters)
    days = sample_days(rng, n_regular, start, end)
    types = list(CUSTOMER_TYPE_WEIGHTS)
    forced = {}
    if n_regular >= 16:  # every customer type at least once, spread over the year
        forced = {int((k + 0.5) * n_regular / len(types)): t for k, t in enumerate(types)}
    planner = Planner(rng, end)
    plans = [planner.plan(day, forced_type=forced.get(i)) for i, day in enumerate(days)]
    for cluster in clusters:
        plans.extend(planner.plan(day, cluster=cluster) for day in cluster.days)
    plans.sort(key=lambda p: (p.data.received_at, p.data.description))
    from kesu.core.demo.workflow import plan_lives  # the life planner reads this module's rosters

    return plan_lives(plans, seed=seed, start=start, end=end)
