"""Domain errors: a stable machine code, a translated message and per-field details.

Actions raise these; the API turns them into ``{"code", "message", "fields"}`` with the
status given here, and pages show ``message`` next to the form.
"""

from __future__ import annotations

from django.utils.functional import Promise


class KesuError(Exception):
    """Base of every expected, user-facing failure."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {k: [str(m) for m in v] for k, v in self.fields.items()},
        }


class ValidationFailed(KesuError):
    status = 422
    code = "validation_failed"


class NotFound(KesuError):
    """Missing and not-yours look the same, so callers cannot probe for records."""

    status = 404
    code = "not_found"


class Forbidden(KesuError):
    status = 403
    code = "forbidden"


class Conflict(KesuError):
    status = 409
    code = "conflict"
