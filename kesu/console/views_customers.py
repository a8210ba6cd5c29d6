"""Customer pages (CU-1): list with search, profile with the viewer's cases, intake lookup."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kesu.console.common import console_view, paginate, user_of
from kesu.customers import queries
from kesu.customers.access import access_customer
from kesu.org.masking import contact_for

MAX_QUERY = 100


@console_view
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    page = paginate(request, queries.customer_list(user_of(request), q))
    return render(request, "console/customer_list.html", {"q": q, "page": page})


@console_view
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    customer = access_customer(user, pk)
    contact = contact_for(user, phone=customer.phone, email=customer.email, address=customer.address)
    page = paginate(request, queries.customer_cases(user, customer))
    return render(request, "console/customer_detail.html",
                  {"customer": customer, "contact": contact, "page": page})


@console_view
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: customers matching the intake form's phone or name box (``q``, or the box's own name)."""
    g = request.GET
    q = (g.get("q") or g.get("customer_phone") or g.get("customer_name") or "").strip()[:MAX_QUERY]
    matches = queries.customer_lookup(user_of(request), q)
    return render(request, "console/_customer_matches.html", {"matches": matches, "q": q})
