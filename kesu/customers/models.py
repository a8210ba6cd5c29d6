"""Customer profiles (CU-1). A customer is found again by phone, then by e-mail."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kesu.customers.choices import CustomerLevel, CustomerType


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Digits only, so "138-0000-1111" and "13800001111" are the same customer.
    phone_key = models.CharField(max_length=40, blank=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    email_key = models.CharField(max_length=254, blank=True, editable=False, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    level = models.CharField(
        _("customer level"), max_length=20, choices=CustomerLevel.choices, default=CustomerLevel.NORMAL
    )
    type = models.CharField(
        _("customer type"), max_length=20, choices=CustomerType.choices, default=CustomerType.CONSUMER
    )
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="customers",
        verbose_name=_("org unit"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_key"], condition=~Q(phone_key=""), name="customer_unique_phone"
            )
        ]
        indexes = [models.Index(fields=["name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return self.name or str(_("Anonymous"))
