"""Codes of the case record (SPEC IN-2, IN-4, TR-1 … TR-4). Lowercase, stable, translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    INQUIRY = "inquiry", _("Inquiry")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    LETTER = "letter", _("Letter")
    FAX = "fax", _("Fax")
    PORTAL = "portal", _("Customer portal")
    API = "api", _("API")
    EMAIL = "email", _("E-mail")
    IMPORT = "import", _("Import")
    WECHAT = "wechat", _("WeChat / WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    ECOMMERCE = "ecommerce", _("E-commerce platform")
    SOCIAL_MEDIA = "social_media", _("Social media")
    INTERNAL = "internal", _("Internal quality alarm")
    SURVEY = "survey", _("Survey")
    THIRD_PARTY = "third_party", _("Third-party transfer")


#: Channels a staff member enters by hand on the console form.
CONSOLE_CHANNELS = [Channel.PHONE, Channel.WALK_IN, Channel.LETTER, Channel.FAX]


class Status(models.TextChoices):
    """The states of WF-1. The allowed moves between them are one table: ``kesu/cases/workflow.py``."""

    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    INVESTIGATING = "investigating", _("Investigating")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    SOLUTION_APPROVED = "solution_approved", _("Solution approved")
    IMPLEMENTING = "implementing", _("Implementing")
    REPLIED = "replied", _("Replied to customer")
    CALLBACK = "callback", _("Callback")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")
    AWAITING_INFO = "awaiting_info", _("Awaiting information")
    REJECTED = "rejected", _("Rejected (not established)")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated")


#: States in which nothing more is expected of staff; SLA clocks stop, lists of open cases skip them.
FINISHED_STATUSES = frozenset({Status.CLOSED, Status.ARCHIVED, Status.REJECTED})


class MessageKind(models.TextChoices):
    """Entries of the communication log (WF-5)."""

    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Internal note")
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("To the customer")
    INTERNAL = "internal", _("Internal")


class AssignmentMethod(models.TextChoices):
    """How a case found its owner (WF-2)."""

    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Fewest open cases")
    MANUAL = "manual", _("Chosen by hand")


class Demand(models.TextChoices):
    ON_SITE = "on_site", _("On-site visit")
    REPLENISH = "replenish", _("Replenish")
    EXCHANGE = "exchange", _("Exchange")
    RETURN = "return", _("Return")
    REPAIR = "repair", _("Repair")
    REFUND = "refund", _("Refund / claim")
    COMPENSATION = "compensation", _("Compensation")
    APOLOGY = "apology", _("Apology")
    OTHER = "other", _("Other")


class Emotion(models.TextChoices):
    CALM = "calm", _("Calm")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    ANGRY = "angry", _("Angry")
    ANXIOUS = "anxious", _("Anxious")
    CONFUSED = "confused", _("Confused")
    PLEASED = "pleased", _("Pleased")


class Validity(models.TextChoices):
    SPECIFIC = "specific", _("Specific")
    VAGUE = "vague", _("Vague")


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    SERIOUS = "serious", _("Serious")
    SPECIAL = "special", _("Special")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    IMPORTANT = "important", _("Important")
    GENERAL = "general", _("General")
