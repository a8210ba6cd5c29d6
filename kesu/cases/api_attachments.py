"""``/api/v1/cases/{number}/attachments``: list, upload and download a case's files (IN-4, SE-3).

A router of its own, mounted beside ``kesu.cases.api`` on the same prefix, with the same shape
as the console's pages: parse → access → one action → schema out. An upload is checked exactly
as the console checks it (size, sniffed type, SHA-256) and a file already on the case is not
stored twice, so a retried upload never makes a duplicate. A download is an export and goes
into the audit trail (``do_download_attachment``). Out-of-scope cases and foreign attachment
ids answer 404, like missing ones.
"""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from kesu.cases.access import access_case
from kesu.cases.actions import do_add_attachment
from kesu.cases.actions_attachments import do_download_attachment
from kesu.cases.attachments import CheckedFile, check_upload
from kesu.cases.models import Attachment
from kesu.cases.schemas import ErrorOut
from kesu.core.errors import ValidationFailed
from kesu.org.models import User

router = Router(tags=["cases"])
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                   422: ErrorOut}


class AttachmentFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str | None
    url: str  # where to download it (the download is audited)


class UploadOut(Schema):
    added: list[AttachmentFileOut]
    #: Files that were already on the case (same SHA-256): kept once, listed here by name.
    already_attached: list[str]


def _file_out(case_number: str, attachment: Attachment) -> dict[str, object]:
    return {
        "id": attachment.pk, "name": attachment.original_name, "content_type": attachment.content_type,
        "size": attachment.size, "sha256": attachment.sha256, "uploaded_at": attachment.uploaded_at,
        "uploaded_by": attachment.uploaded_by.username if attachment.uploaded_by else None,
        "url": reverse("api:case_attachment_download", kwargs={"number": case_number, "pk": attachment.pk}),
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.get("/{number}/attachments", response={200: list[AttachmentFileOut], **ERRORS},
            summary="List a case's attachments")
def list_attachments(request: HttpRequest, number: str) -> list[dict[str, object]]:
    case = access_case(_user(request), number)
    return [_file_out(case.number, a) for a in case.attachments.select_related("uploaded_by")]


@router.post("/{number}/attachments", response={201: UploadOut, 200: UploadOut, **ERRORS},
             summary="Attach files to a case (multipart field \"files\")")
def upload_attachments(request: HttpRequest, number: str,
                       files: File[list[UploadedFile]]) -> Status[dict[str, object]]:
    """201 when at least one file was added; 200 when every file was already on the case."""
    user = _user(request)
    case = access_case(user, number)
    checked = _checked(files)  # all checked before any is stored
    added, already = [], []
    for file in checked:
        attachment = do_add_attachment(case, file, actor=user)
        if attachment is None:
            already.append(file.name)
        else:
            added.append(_file_out(case.number, attachment))
    return Status(201 if added else 200, {"added": added, "already_attached": already})


def _checked(files: list[UploadedFile]) -> list[CheckedFile]:
    """``check_upload`` of each file; a refusal names the API's multipart field, ``files``
    (``check_upload`` names the console form's, ``attachments``)."""
    try:
        return [check_upload(f, f.name or "file") for f in files]
    except ValidationFailed as exc:
        exc.fields = {"files" if key == "attachments" else key: msgs for key, msgs in exc.fields.items()}
        raise


@router.get("/{number}/attachments/{pk}", response={200: None, **ERRORS}, url_name="case_attachment_download",
            summary="Download an attachment (recorded in the audit trail)")
def download_attachment(request: HttpRequest, number: str, pk: int) -> FileResponse:
    attachment = do_download_attachment(_user(request), number, pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                        content_type=attachment.content_type)
