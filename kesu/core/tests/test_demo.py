"""``kesu demo``: what it loads, that it loads it once, and that the plan is deterministic."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesu.cases.models import Case, CaseEvent, CaseNumberCounter, IdempotencyKey
from kesu.core.defaults import install_defaults
from kesu.core.demo import texts
from kesu.core.demo.plan import plan_cases
from kesu.core.demo.timeline import TZ
from kesu.core.models import AuditEvent
from kesu.customers.choices import CustomerLevel, CustomerType
from kesu.customers.models import Customer
from kesu.org.choices import Ownership, Role, UnitKind
from kesu.org.models import Department, OrgUnit, User

FIXED_UNTIL = date(2026, 6, 30)


@pytest.fixture
def initialised(db: Any, settings: Any) -> None:
    # One fast hasher for the twenty demo accounts; the hashing itself is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    install_defaults("admin-pass-123")


def run_demo(**options: Any) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    models = [OrgUnit, Department, User, Customer, Case, CaseEvent, AuditEvent, IdempotencyKey,
              CaseNumberCounter]
    return {m.__name__: m.objects.count() for m in models}


def test_demo_loads_org_people_customers_and_a_year_of_cases(initialised: None, monkeypatch: Any) -> None:
    from kesu.notify import tasks

    sent: list[object] = []
    monkeypatch.setattr(tasks.deliver_many, "delay", sent.append)
    run_demo(cases=60)
    # Its notifications were delivered by the replay or wait for the periodic delivery: no
    # message per notification for the workers to work through after the server starts.
    assert sent == []

    regions = OrgUnit.objects.filter(kind=UnitKind.REGION)
    stores = OrgUnit.objects.filter(kind=UnitKind.STORE)
    assert sorted(regions.values_list("code", flat=True)) == ["EAST", "SOUTH"]
    assert stores.count() == 6
    assert all(s.parent is not None and s.parent.kind == UnitKind.REGION for s in stores)
    franchises = stores.filter(ownership=Ownership.FRANCHISE)
    assert sorted(franchises.values_list("code", flat=True)) == ["FS-ZM", "HZ-XH"]
    assert sorted(Department.objects.values_list("name", flat=True)) == sorted(
        ["质量部", "技术部", "生产部", "物流部", "财务部", "客户服务中心", "市场部"])
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    franchise_users = User.objects.filter(org_unit__ownership=Ownership.FRANCHISE)
    assert sorted(franchise_users.values_list("username", flat=True)) == ["dengli", "guoyan"]
    assert User.objects.get(username="zhengtao").department.name == "质量部"

    assert set(Customer.objects.values_list("type", flat=True)) == set(CustomerType.values)
    assert set(Customer.objects.values_list("level", flat=True)) == set(CustomerLevel.values)
    phones = [c.phone_key for c in Customer.objects.exclude(phone_key="")]
    assert phones and all(re.fullmatch(r"13[89]\d{8}", p) for p in phones)
    assert all(c.email.split("@")[1] in {"example.com", "example.net", "example.org"}
               for c in Customer.objects.exclude(email=""))

    cases = list(Case.objects.all())
    assert len(cases) == 60
    months = {c.received_at.astimezone(TZ).strftime("%Y-%m") for c in cases}
    assert len(months) >= 6
    assert len({c.kind for c in cases}) >= 3
    assert len({c.channel for c in cases}) >= 5
    assert all(c.received_at <= timezone.now() for c in cases)
    for case in cases:
        events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
        assert events and events[0].type == "case.created"
        assert case.event_count == len(events)
        assert events[0].at >= case.received_at  # registered after it arrived, as in real use


def test_second_run_changes_nothing_and_says_so(initialised: None) -> None:
    run_demo(cases=60)
    before = table_counts()

    out = run_demo(cases=60)

    assert table_counts() == before
    assert _("The demo data is already loaded; nothing was changed.") in out
    assert "wangfang" in out and "kesu-demo-2026" in out


def test_audit_verify_passes_after_the_demo(initialised: None) -> None:
    run_demo(cases=60)
    out = io.StringIO()

    with translation.override("en"):
        call_command("audit", "verify", stdout=out)

    assert out.getvalue().strip() == "audit verify: all event chains are intact"
    assert AuditEvent.objects.filter(type="demo.loaded").count() == 1


def test_printed_logins_cover_every_role_with_the_demo_password(initialised: None) -> None:
    out = run_demo(cases=60)

    listed = {}
    for line in out.splitlines():
        fields = line.split()
        if fields and User.objects.filter(username=fields[0]).exists():
            listed[fields[0]] = line
    roles = {User.objects.get(username=u).role for u in listed}
    assert roles == set(Role.values)
    assert all(line.rstrip().endswith("kesu-demo-2026") for line in listed.values())
    assert "admin" not in listed and "dianshang_api" not in listed  # init's admin; the API account
    user = User.objects.get(username="majing")
    assert user.check_password("kesu-demo-2026")
    assert not User.objects.get(username="dianshang_api").has_usable_password()


def test_password_comes_from_the_environment(initialised: None, monkeypatch: Any) -> None:
    monkeypatch.setenv("KESU_DEMO_PASSWORD", "another-demo-pass")

    out = run_demo(cases=5)

    assert User.objects.get(username="zhaolei").check_password("another-demo-pass")
    assert "another-demo-pass" in out


def test_a_too_short_password_is_refused_and_nothing_is_loaded(initialised: None, monkeypatch: Any) -> None:
    monkeypatch.setenv("KESU_DEMO_PASSWORD", "short")
    before = table_counts()

    with pytest.raises(CommandError):
        run_demo(cases=5)

    assert table_counts() == before


def test_without_kesu_init_the_demo_refuses_and_loads_nothing(db: Any) -> None:
    with pytest.raises(CommandError, match="kesu init"):
        run_demo(cases=5)

    assert OrgUnit.objects.count() == 0
    assert User.objects.count() == 0


def test_existing_units_with_demo_codes_abort_the_whole_load(initialised: None) -> None:
    from kesu.org.actions import do_create_org_unit

    hq = OrgUnit.objects.get(code="HQ")
    do_create_org_unit(code="EAST", name="东区", kind=UnitKind.REGION, parent=hq, actor=None)
    before = table_counts()

    with pytest.raises(CommandError) as raised:
        run_demo(cases=5)

    prefix = _("The demo data could not be loaded, nothing was changed: {reason}").split("{")[0]
    assert str(raised.value).startswith(prefix)
    assert table_counts() == before


def _snapshot() -> list[tuple[Any, ...]]:
    return list(Case.objects.order_by("number").values_list(
        "number", "received_at", "kind", "channel", "status", "org_unit__code", "title", "description",
        "customer_name", "customer__phone", "customer__type", "customer__level", "product_name",
        "product_batch",
        "quantity", "defective_quantity", "order_ref", "demands", "emotion", "category__code", "validity",
        "severity", "priority", "intake_by__username", "event_count",
    ))


class _Rollback(Exception):
    pass


def test_two_fresh_runs_give_the_same_data(initialised: None) -> None:
    first: list[tuple[Any, ...]] = []
    with pytest.raises(_Rollback), transaction.atomic():
        run_demo(cases=80, until=FIXED_UNTIL)
        first = _snapshot()
        raise _Rollback
    assert Case.objects.count() == 0

    run_demo(cases=80, until=FIXED_UNTIL)

    assert _snapshot() == first
    assert max(c[1] for c in first).astimezone(TZ).date() <= FIXED_UNTIL


# --- the plan (pure, no database) -------------------------------------------------------------

def _plan(n: int = 2000, seed: int = 2026) -> list[Any]:
    return plan_cases(n, seed=seed, until=FIXED_UNTIL, now=timezone.now())


def _final(plan: Any) -> Any:
    return plan.reclassify or plan.classify or plan.data.classification


def test_the_plan_is_deterministic_and_another_seed_differs() -> None:
    assert _plan(300) == _plan(300)
    assert [p.data.description for p in _plan(300)] != [p.data.description for p in _plan(300, seed=7)]


def test_the_plan_reads_varied_and_fills_every_slot() -> None:
    plans = _plan()
    descriptions = [p.data.description for p in plans]
    assert len(set(descriptions)) > 0.9 * len(plans)
    assert not [d for d in descriptions if re.search(r"[{}]|\[|@[a-z]", d)]
    assert all(len(p.data.title) <= 200 for p in plans)


def test_classification_follows_the_words() -> None:
    plans = [p for p in _plan() if _final(p).category]
    for p in plans:
        final, words = _final(p), p.data.description
        if any(h.split("{")[0] in words for h in texts.HEALTH):
            assert final.severity == "serious", words
        if any(t in words for t in texts.THREATS) or "12315平台转办" in words:
            assert final.priority == "urgent", words
        if p.topic in {"foreign_matter", "mould"} and p.reclassify is None:
            assert final.severity in {"major", "serious"}, words
        if p.topic in {"praise_vague", "vague_complaint"}:
            assert final.validity == "vague"
        if p.topic == "price_high":
            assert final.severity == "general"


def test_mix_of_kinds_channels_and_statuses_is_realistic() -> None:
    plans = _plan()
    kinds = Counter(p.data.kind for p in plans)
    assert kinds["complaint"] > kinds["inquiry"] > kinds["suggestion"] > 0
    assert kinds["praise"] > 0
    channels = Counter(p.data.channel for p in plans)
    expected = {"phone", "walk_in", "letter", "fax", "portal", "api", "email", "ecommerce", "wechat"}
    assert expected <= set(channels)
    unclassified = sum(1 for p in plans if not _final(p).category)
    assert 0.05 * len(plans) < unclassified < 0.2 * len(plans)


def test_weekdays_and_working_hours_are_busier_and_double_eleven_peaks() -> None:
    plans = _plan(3000)
    local = [p.data.received_at.astimezone(TZ) for p in plans]
    weekday = sum(1 for t in local if t.weekday() < 5) / 5
    weekend = sum(1 for t in local if t.weekday() >= 5) / 2
    assert weekday > 1.3 * weekend
    office = sum(1 for t in local if 9 <= t.hour < 18)
    assert office > 0.6 * len(local)
    window_start = FIXED_UNTIL - timedelta(days=364)
    per_day = Counter(t.date() for t in local)
    after_double11 = [per_day[date(2025, 11, d)] for d in range(12, 19)]
    assert date(2025, 11, 12) >= window_start
    assert sum(after_double11) / 7 > 1.5 * len(local) / 365


def test_a_few_batches_draw_clusters_of_complaints_within_days() -> None:
    by_batch: dict[str, list[date]] = {}
    for p in _plan():
        if p.data.product.batch and p.data.kind == "complaint":
            by_batch.setdefault(p.data.product.batch, []).append(p.data.received_at.astimezone(TZ).date())
    def busiest_week(days: list[date]) -> int:
        days = sorted(days)
        return max(sum(1 for d in days if first <= d <= first + timedelta(days=6)) for first in days)

    clusters = [b for b, days in by_batch.items() if busiest_week(days) >= 10]
    assert len(clusters) >= 3


def test_every_topic_has_a_line_for_every_product_it_covers() -> None:
    for topic in texts.TOPICS:
        for group in topic.groups or (None,):
            assert topic.problem_lines(group, True) or topic.problem_lines(None, True), (topic.code, group)
