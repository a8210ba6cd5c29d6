"""Org-unit kinds, ownership and the roles of SE-2."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    REGION = "region", _("Region")
    STORE = "store", _("Store / branch")


class Ownership(models.TextChoices):
    DIRECT = "direct", _("Directly operated")
    FRANCHISE = "franchise", _("Franchise")


class DepartmentKind(models.TextChoices):
    QUALITY = "quality", _("Quality")
    TECHNICAL = "technical", _("Technical")
    PRODUCTION = "production", _("Production")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    MARKETING = "marketing", _("Marketing")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    INTAKE_AGENT = "intake_agent", _("Intake agent")
    HANDLER = "handler", _("Handler")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    QUALITY_ENGINEER = "quality_engineer", _("Quality engineer")
    COORDINATOR = "coordinator", _("Coordinator")
    CS_SUPERVISOR = "cs_supervisor", _("Customer-service supervisor")
    EXECUTIVE = "executive", _("Executive")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
