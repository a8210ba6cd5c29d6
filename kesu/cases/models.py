"""The case record (IN-2 … IN-5), its number counter, attachments, events and search rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesu.cases.choices import (
    AssignmentMethod,
    Channel,
    Emotion,
    Kind,
    MessageDirection,
    MessageKind,
    Priority,
    Severity,
    Status,
    Validity,
)
from kesu.core.models import AppendOnlyModel
from kesu.org.choices import Role


class Category(models.Model):
    """A node of the editable category tree (TR-1)."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("parent category"),
    )
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name


class CaseNumberCounter(models.Model):
    """Last serial used per year-month (IN-3). Incremented under a row lock, never reused."""

    period = models.CharField(max_length=6, unique=True)
    last_serial = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.period}: {self.last_serial}"


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=20, unique=True)
    # Indexed through case_recent_idx and the (…, -received_at) indexes below, not on its own:
    # every index is one more write per insert and per non-HOT update.
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.NEW)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), help_text=_("The customer's own words, verbatim."))
    emotion = models.CharField(_("customer emotion"), max_length=20, choices=Emotion.choices, blank=True)
    demands = models.JSONField(_("demands"), default=list, blank=True)

    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        verbose_name=_("customer"), db_index=False,  # case_customer_recent_idx leads with it
    )
    # The name as given on this case: kept for anonymous cases and for search without a join.
    customer_name = models.CharField(_("customer name"), max_length=120, blank=True)

    product_name = models.CharField(_("product"), max_length=200, blank=True)
    product_model = models.CharField(_("model / specification"), max_length=120, blank=True)
    product_batch = models.CharField(_("batch / lot"), max_length=80, blank=True)  # case_batch_recent_idx
    product_serial = models.CharField(_("serial number"), max_length=80, blank=True)
    delivered_on = models.DateField(_("delivery date"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    defective_quantity = models.PositiveIntegerField(_("defective quantity"), null=True, blank=True)
    order_ref = models.CharField(_("order reference"), max_length=80, blank=True)

    org_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="cases", verbose_name=_("org unit"),
        db_index=False,  # case_unit_recent_idx leads with it
    )
    # 首问负责制: whoever took the case first owns the conversation with the customer (WF-2).
    intake_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="intake_cases", verbose_name=_("first responder"),
    )
    # Who works on the case now, in which department, and who coordinates across departments.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="owned_cases", verbose_name=_("owner"), db_index=False,  # case_owner_status_idx
    )
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        verbose_name=_("responsible department"), db_index=False,  # case_department_status_idx
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="coordinated_cases", verbose_name=_("coordinator"),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    # The working state a case returns to when it leaves "awaiting information" or "escalated".
    resume_status = models.CharField(max_length=30, choices=Status.choices, blank=True, editable=False)

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        verbose_name=_("category"),
    )
    validity = models.CharField(_("validity"), max_length=20, choices=Validity.choices, blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=20, choices=Priority.choices, blank=True)

    missing_fields = models.JSONField(_("missing fields"), default=list, blank=True)
    # Secret for the e-mailed tracking link (IN-6); never shown to staff lists.
    tracking_token = models.CharField(max_length=43, unique=True, editable=False)
    # Head of this case's event hash chain, so that deleting the newest events is detectable.
    event_count = models.IntegerField(default=0, editable=False)
    last_event_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="case_recent_idx"),
            models.Index(fields=["org_unit", "-received_at"], name="case_unit_recent_idx"),
            models.Index(fields=["status", "-received_at"], name="case_status_recent_idx"),
            models.Index(fields=["kind", "-received_at"], name="case_kind_recent_idx"),
            models.Index(fields=["channel", "-received_at"], name="case_channel_recent_idx"),
            models.Index(fields=["owner", "status"], name="case_owner_status_idx"),
            models.Index(fields=["department", "status"], name="case_department_status_idx"),
            # find_related (TR-5): a customer's recent cases; a batch's newest open cases.
            models.Index(fields=["customer", "-received_at"], name="case_customer_recent_idx"),
            models.Index(fields=["product_batch", "-received_at"], name="case_batch_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.case.number[3:9]}/{instance.case.number}/{instance.sha256[:16]}-{filename}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    # Set when the file came with an entry of the communication log (an e-mail, a letter).
    message = models.ForeignKey(
        "CaseMessage", null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(fields=["case", "sha256"], name="attachment_unique_per_case")
        ]

    def __str__(self) -> str:
        return self.original_name


class CaseMessage(models.Model):
    """One entry of the communication log (WF-5): a reply, an internal note, a call, a visit, an e-mail."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=MessageDirection.choices)
    visible_to_customer = models.BooleanField(_("visible to the customer"), default=False)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("content"))
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("recorded by"),
    )
    # A Message-ID or another channel's id: a redelivered message is recorded once.
    external_id = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "external_id"], condition=~models.Q(external_id=""),
                name="case_message_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.occurred_at:%Y-%m-%d}"


class RoutingRule(models.Model):
    """Policy (WF-2): cases that match go to a department; within it, round robin or least loaded.

    Rules are tried in ``position`` order; an empty criterion matches anything.
    """

    Method = AssignmentMethod

    name = models.CharField(_("name"), max_length=120)
    position = models.IntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("category (with its sub-categories)"),
    )
    product_contains = models.CharField(_("product name contains"), max_length=120, blank=True)
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("org unit (with the units below it)"),
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="routing_rules",
        verbose_name=_("responsible department"),
    )
    method = models.CharField(
        _("assignment within the department"), max_length=20,
        choices=[(m.value, m.label) for m in (AssignmentMethod.ROUND_ROBIN, AssignmentMethod.LEAST_OPEN)],
        default=AssignmentMethod.LEAST_OPEN,
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class AssignmentCursor(models.Model):
    """When each member of a department last received a case: the round-robin order (WF-2)."""

    department = models.ForeignKey("org.Department", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_assigned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department", "user"], name="assignment_cursor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.user_id}"


class AuthorityLimit(models.Model):
    """Policy (WF-3): the most severe case a role may approve, close or reject on its own."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, unique=True)
    max_severity = models.CharField(_("highest severity"), max_length=20, choices=Severity.choices)

    class Meta:
        ordering = ["role"]
        verbose_name = _("authority limit")
        verbose_name_plural = _("authority limits")

    def __str__(self) -> str:
        return f"{self.role}: {self.max_severity}"


class CaseEvent(AppendOnlyModel):
    """The spine (ARCHITECTURE rule 3): every create and change of a case, hash-chained per case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.IntegerField()
    type = models.CharField(_("type"), max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["case_id", "seq"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.type}"


class IdempotencyKey(models.Model):
    """Maps a client's Idempotency-Key to the case its first request created (IN-7)."""

    # "user:<id>" for API clients, "portal" for the public form's one-time submit keys.
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ImportJob(models.Model):
    """A CSV/XLSX import (IN-1, IN-7), run by ``kesu import`` or a console upload via Celery."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        GOOD_ROWS = "good_rows", _("Import the good rows")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        REJECTED = "rejected", _("Rejected: nothing imported")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to="imports/%Y%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.GOOD_ROWS)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    org_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("default org unit")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total_rows = models.IntegerField(_("rows"), default=0)
    imported_rows = models.IntegerField(_("imported"), default=0)
    error_rows = models.IntegerField(_("rows with errors"), default=0)
    # The first errors, as [{"line": n, "message": "..."}]; the full list is in error_report.
    errors = models.JSONField(default=list, blank=True)
    error_report = models.FileField(upload_to="imports/%Y%m/", max_length=300, blank=True)
    failure = models.TextField(blank=True)
    #: Written while the job runs (every batch, at least every HEARTBEAT_SECONDS): a running job
    #: without one for STALE_AFTER was interrupted (its worker died) and is marked failed.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.original_name
from kesu.cases.models_links import *  # noqa: E402, F403 - links, merges, crisis (TR-5, TR-7)
