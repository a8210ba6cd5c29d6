"""Rendering a notification in its reader's language and time zone.

Templates are files: ``templates/notify/<event>/<language>/subject.txt`` and ``body.txt``,
falling back to ``templates/notify/_default/<language>/`` for events that have none yet
(ADR 0005). Text templates are rendered by an engine without HTML autoescaping, because
they become e-mail text, chat markdown and in-app text, never HTML directly.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesu.cases.choices import Status
from kesu.cases.models import Case
from kesu.notify.choices import event_spec

LANGUAGES = ("zh-hans", "en")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
SUBJECT_MAX = 255
BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    link: str


def base_url() -> str:
    return str(getattr(settings, "KESU_BASE_URL", "") or DEFAULT_BASE_URL).rstrip("/")


def absolute(path: str) -> str:
    return base_url() + path


def case_link(case: Case | None) -> str:
    return absolute(reverse("console:case_detail", args=[case.number])) if case else ""


def reader_language(code: str | None) -> str:
    """``User.language`` normalised to a language we have templates for (zh-hans by default)."""
    code = (code or "").lower().replace("_", "-")
    if code.startswith("en"):
        return "en"
    if code in LANGUAGES:
        return code
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in LANGUAGES else "zh-hans"


def reader_timezone(case: Case | None) -> zoneinfo.ZoneInfo:
    """The case's org-unit zone (Asia/Shanghai unless the unit says otherwise)."""
    name = settings.TIME_ZONE
    if case is not None and case.org_unit_id and case.org_unit.timezone:
        name = case.org_unit.timezone
    return zoneinfo.ZoneInfo(name)


@cache
def text_engine() -> Engine:
    dirs = [str(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])]  # type: ignore[attr-defined]
    return Engine(dirs=dirs, app_dirs=True, autoescape=False,
                  builtins=["django.templatetags.i18n", "django.templatetags.tz"])


def _template(event: str, language: str, name: str) -> Any:
    try:
        return text_engine().get_template(f"notify/{event}/{language}/{name}")
    except TemplateDoesNotExist:
        return text_engine().get_template(f"notify/_default/{language}/{name}")


def _status_labels(context: dict[str, Any]) -> dict[str, str]:
    """``old_status`` → ``old_status_label`` etc., in the active language."""
    return {f"{k}_label": str(Status(v).label) for k, v in context.items()
            if k.endswith("status") and isinstance(v, str) and v in Status.values}


def render_message(event: str, language: str, case: Case | None, context: dict[str, Any]) -> Rendered:
    """Subject, plain-text body and link of ``event`` for a reader of ``language``."""
    spec = event_spec(event)
    link = context.get("link") or case_link(case)
    with translation.override(language), timezone.override(reader_timezone(case)):
        ctx: dict[str, Any] = {
            **context,
            "case": case,
            "status": case.get_status_display() if case else "",
            "link": link,
            "event_label": str(spec.label),
            "case_summary": f"notify/_case/{language}.txt",
            "language": language,
        }
        ctx.update(_status_labels(context))
        subject = _template(event, language, "subject.txt").render(Context(ctx, autoescape=False))
        body = _template(event, language, "body.txt").render(Context(ctx, autoescape=False))
    subject = " ".join(subject.split())
    body = BLANK_LINES.sub("\n\n", body).strip()
    return Rendered(subject=subject[:SUBJECT_MAX], body=body, link=str(link))


def render_email_html(subject: str, body: str, link: str, language: str) -> str:
    """The HTML alternative of an e-mail: the same text, paragraphs, a button to the case."""
    with translation.override(language):
        return render_to_string("notify/email.html", {
            "subject": subject, "body": body, "link": link,
            "settings_link": absolute(reverse("notify:settings")),
        })


def markdown(subject: str, body: str, link: str, language: str) -> str:
    """Chat-robot markdown (DingTalk, WeCom): a heading, one paragraph per line, the link."""
    lines = [f"#### {subject}", *[line.strip() for line in body.splitlines() if line.strip()]]
    if link:
        with translation.override(language):
            lines.append("[{label}]({link})".format(label=_("Open the case"), link=link))
    return "\n\n".join(lines)


def jsonable(value: Any) -> Any:
    """The caller's context as JSON data for generic webhooks (models become their text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return str(value)
    return str(value)


def case_data(case: Case | None) -> dict[str, Any] | None:
    if case is None:
        return None
    return {"number": case.number, "title": case.title, "status": case.status,
            "kind": case.kind, "org_unit": case.org_unit.code if case.org_unit_id else "",
            "url": case_link(case)}
