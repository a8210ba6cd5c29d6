"""Customer pages: scoped list and search, profile with the viewer's cases, intake lookup."""

from __future__ import annotations

import re

import pytest

from kesu.customers.actions import CustomerInput
from kesu.customers.models import Customer

WANG = CustomerInput(name="王芳", phone="13712345678", email="wang@example.com", level="vip")


@pytest.mark.django_db
def test_lookup_returns_only_visible_customers(make_user, make_case, console):
    make_case(unit="S-E1", customer=WANG)
    make_case(unit="S-S1", customer=CustomerInput(name="王强", phone="13712340000"))
    east = console(make_user("intake_agent", unit="S-E1"))
    html = east.get("/customers/lookup/", {"q": "1371234"}).content.decode()
    assert "王芳" in html and "王强" not in html
    assert 'data-phone="13712345678"' in html and 'data-level="vip"' in html
    south_user = console(make_user("intake_agent", unit="S-S1"))
    south = south_user.get("/customers/lookup/", {"q": "王"}).content.decode()
    assert "王强" in south and "王芳" not in south


@pytest.mark.django_db
def test_lookup_by_name_or_the_boxs_own_parameter(make_user, make_case, console):
    make_case(customer=WANG)
    client = console(make_user("intake_agent"))
    assert "王芳" in client.get("/customers/lookup/", {"customer_name": "芳"}).content.decode()
    assert "王芳" in client.get("/customers/lookup/", {"customer_phone": "5678"}).content.decode()
    none = client.get("/customers/lookup/", {"q": "陈"}).content.decode()
    assert 'data-testid="no-customer-matches"' in none
    assert client.get("/customers/lookup/", {"q": ""}).content.decode().strip() == ""


@pytest.mark.django_db
def test_lookup_does_not_hand_masked_roles_the_contact_data(make_user, make_case, console):
    make_case(customer=WANG)
    html = console(make_user("quality_engineer")).get("/customers/lookup/", {"q": "王"}).content.decode()
    assert "137****5678" in html and "13712345678" not in html and "data-phone" not in html


@pytest.mark.django_db
def test_customer_page_lists_the_cases_the_viewer_may_see(make_user, make_case, console):
    east_case = make_case(unit="S-E1", customer=WANG, title="东区的投诉")
    south_case = make_case(unit="S-S1", customer=WANG, title="南区的投诉")
    customer = Customer.objects.get()
    assert customer.org_unit.code == "S-E1"
    hq = console(make_user("cs_supervisor")).get(f"/customers/{customer.pk}/").content.decode()
    assert east_case.number in hq and south_case.number in hq and "2 cases" in hq
    for text in ("13712345678", "wang@example.com", "VIP", "Consumer", "上海南京路店"):
        assert text in hq, text
    # A store that only took the second case still sees the customer, but only its own case.
    south = console(make_user("handler", unit="S-S1")).get(f"/customers/{customer.pk}/").content.decode()
    assert south_case.number in south and east_case.number not in south and "1 case" in south


@pytest.mark.django_db
def test_customer_page_masks_contact_for_executive(make_user, make_case, console):
    make_case(customer=WANG)
    customer = Customer.objects.get()
    html = console(make_user("executive")).get(f"/customers/{customer.pk}/").content.decode()
    assert "137****5678" in html and "13712345678" not in html and "w***@example.com" in html


@pytest.mark.django_db
def test_out_of_scope_customer_is_404(make_user, make_case, console):
    make_case(unit="S-S1", customer=WANG)
    customer = Customer.objects.get()
    client = console(make_user("handler", unit="S-E1"))
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    assert client.get("/customers/999999/").status_code == 404


@pytest.mark.django_db
def test_customer_list_is_scoped_and_searchable(make_user, make_case, console):
    make_case(unit="S-E1", customer=WANG)
    make_case(unit="S-E1", customer=CustomerInput(name="李雷", phone="13600000001"))
    make_case(unit="S-S1", customer=CustomerInput(name="韩梅梅", phone="13600000002"))
    client = console(make_user("handler", unit="S-E1"))
    names = re.findall(r'<span class="fw-semibold">([^<]+)', client.get("/customers/").content.decode())
    assert sorted(n.strip() for n in names) == sorted(["王芳", "李雷"])
    found = client.get("/customers/", {"q": "136 0000"}).content.decode()
    assert "李雷" in found and "王芳" not in found and "韩梅梅" not in found and "1 customer" in found
    assert "王芳" in client.get("/customers/", {"q": "王"}).content.decode()
