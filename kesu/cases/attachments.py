"""Checking and storing attachments through Django's storage API (IN-4)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings
from django.core.files.base import File
from django.utils.translation import gettext as _

from kesu.core.errors import ValidationFailed


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    stream: IO[bytes]


def _sniff(head: bytes, name: str) -> str:
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if name.lower().endswith(".txt"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
        return "text/plain"
    return "application/octet-stream"


def check_upload(stream: IO[bytes], name: str) -> CheckedFile:
    """Hash, size and type-check a file; the type comes from its content, not its name."""
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    head = stream.read(8192)
    content_type = _sniff(head, name)
    chunk = head
    while chunk:
        size += len(chunk)
        if size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationFailed(
                _("The file {name} is larger than {mb} MB.").format(
                    name=name, mb=settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
                ),
                code="attachment_too_large",
                fields={"attachments": [_("File too large.")]},
            )
        digest.update(chunk)
        chunk = stream.read(1024 * 1024)
    if content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        raise ValidationFailed(
            _("The file {name} is of a type that cannot be attached ({type}).").format(
                name=name, type=content_type
            ),
            code="attachment_type",
            fields={"attachments": [_("File type not allowed.")]},
        )
    stream.seek(0)
    safe_name = name.replace("/", "_").replace("\\", "_")[-150:] or "file"
    return CheckedFile(safe_name, content_type, size, digest.hexdigest(), stream)


def as_django_file(checked: CheckedFile) -> File:
    return File(checked.stream, name=checked.name)
