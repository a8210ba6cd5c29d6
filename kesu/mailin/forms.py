"""The console form of a mailbox (IN-1): every field of ``NewMailbox``, the password write-only.

The form only turns the browser's input into a ``NewMailbox``; the rules (name pattern, org
unit, port range, user name for IMAP, ...) stay in ``kesu.mailin.actions._check_mailbox`` so the
console and ``kesu mailbox add|set`` refuse the same things with the same messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kesu.cases.choices import Kind
from kesu.console.forms import KesuErrorsMixin, StyledForm, set_choices, unit_choices
from kesu.mailin.actions import NewMailbox
from kesu.mailin.choices import Security
from kesu.mailin.models import Mailbox
from kesu.org.models import OrgUnit

#: The CLI's port defaults (``kesu mailbox add`` without --port).
SSL_PORT, PLAIN_PORT = 993, 143


class MailboxForm(KesuErrorsMixin, StyledForm):
    """Add (``box`` None) or change a mailbox.

    The stored password is never put into the page: the widget does not render a value, and on
    a change an empty password keeps the stored one. The name is fixed once created, as with
    ``kesu mailbox set``: received e-mails and ``kesu ingest-email --mailbox`` refer to it.
    """

    name = forms.CharField(
        label=_("Mailbox name"), max_length=60,
        help_text=_("Letters, digits, dots, dashes or underscores; used by kesu ingest-email --mailbox."),
    )
    org_unit = forms.ChoiceField(label=_("Org unit of new cases"))
    kind = forms.ChoiceField(label=_("Kind of new cases"), choices=Kind.choices)
    address = forms.EmailField(
        label=_("E-mail address"), required=False, max_length=254,
        help_text=_("The mailbox's own address; mail from it is never taken in."),
    )
    host = forms.CharField(
        label=_("IMAP server"), required=False, max_length=200,
        help_text=_("Leave empty for a mailbox that only takes piped mail (kesu ingest-email)."),
    )
    security = forms.ChoiceField(label=_("Connection security"), choices=Security.choices,
                                 initial=Security.SSL)
    port = forms.IntegerField(
        label=_("Port"), required=False, min_value=1, max_value=65535,
        help_text=_("Empty: 993 with SSL/TLS, 143 otherwise."),
    )
    username = forms.CharField(label=_("User name"), required=False, max_length=200)
    password = forms.CharField(
        label=_("Password"), required=False, max_length=200, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    folder = forms.CharField(label=_("Folder"), required=False, max_length=200, initial="INBOX",
                             help_text=_("Empty: INBOX."))
    processed_folder = forms.CharField(
        label=_("Folder for processed mail"), required=False, max_length=200,
        help_text=_("If set, processed messages are moved there; otherwise they are only marked as read."),
    )
    is_active = forms.BooleanField(label=_("Active (polled)"), required=False, initial=True)

    def __init__(self, *args: Any, box: Mailbox | None = None, **kwargs: Any) -> None:
        if box is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(box)
        super().__init__(*args, **kwargs)
        self.box = box
        units = unit_choices(OrgUnit.objects.filter(is_active=True))
        if box is not None and box.default_org_unit.code not in {code for code, _label in units}:
            # A unit closed since: still shown so the page tells the truth; saving asks for another.
            units.append((box.default_org_unit.code, str(box.default_org_unit)))
        set_choices(self, "org_unit", units)
        password = self.fields["password"]
        if box is None:
            password.help_text = _("Stored in the database and never shown again.")
        else:
            password.help_text = _("Never shown. Leave empty to keep the stored password.")
            name = self.fields["name"]
            name.disabled = True
            name.help_text = _("The name cannot be changed: received e-mails refer to it.")

    @staticmethod
    def initial_for(box: Mailbox) -> dict[str, object]:
        """The stored settings as initial values — all but the password."""
        return {"name": box.name, "org_unit": box.default_org_unit.code, "kind": box.default_kind,
                "address": box.address, "host": box.host, "security": box.security, "port": box.port,
                "username": box.username, "folder": box.folder, "processed_folder": box.processed_folder,
                "is_active": box.is_active}

    def to_data(self) -> NewMailbox:
        """The valid input as a ``NewMailbox``: empty port and folder as the CLI fills them."""
        d = self.cleaned_data
        password = d["password"]
        if self.box is not None and not password:
            password = self.box.password
        port = d["port"] or (SSL_PORT if d["security"] == Security.SSL else PLAIN_PORT)
        return NewMailbox(
            name=self.box.name if self.box is not None else d["name"], org_unit=d["org_unit"],
            address=d["address"], host=d["host"], port=port, security=d["security"],
            username=d["username"], password=password, folder=d["folder"] or "INBOX",
            processed_folder=d["processed_folder"], kind=d["kind"], is_active=d["is_active"],
        )
