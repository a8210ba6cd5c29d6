"""Handing out an attachment (SE-3): a customer's photos and letters leave the system here, so
every download is an export and goes into the audit trail, with who took which file of which
case. Out-of-scope cases and foreign attachment ids look exactly like missing ones."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kesu.cases.access import access_case
from kesu.cases.models import Attachment
from kesu.core import audit
from kesu.core.errors import NotFound
from kesu.org.models import User

DOWNLOADED = "attachment.downloaded"


def do_download_attachment(user: User, number: str, attachment_id: int) -> Attachment:
    """The attachment ``attachment_id`` of case ``number`` as ``user`` may see it, recorded as an export."""
    case = access_case(user, number)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such attachment was found."))
    audit.record(DOWNLOADED, actor=user, object_type="case", object_id=case.number, data={
        "attachment": attachment.pk, "name": attachment.original_name, "sha256": attachment.sha256,
        "size": attachment.size,
    })
    return attachment
