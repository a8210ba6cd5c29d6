"""Sending one outbox row: e-mail through Django's backend, webhooks through httpx.

Each sender either returns (the receiver accepted the message) or raises ``DeliveryError``;
``permanent=True`` means retrying cannot help (no address, endpoint switched off). Only
transport failures are turned into ``DeliveryError``; anything else is a bug and propagates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
from urllib.parse import quote_plus

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from kesu.notify.choices import Event, WebhookKind
from kesu.notify.models import Outbox, WebhookEndpoint
from kesu.notify.render import markdown, render_email_html

WECOM_MAX_CHARS = 4000
DINGTALK_MAX_CHARS = 18000


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def http_timeout() -> float:
    return float(getattr(settings, "NOTIFY_HTTP_TIMEOUT", 5.0))


# --- e-mail ------------------------------------------------------------------------------

def send_email(row: Outbox) -> None:
    if not row.address:
        raise DeliveryError("no e-mail address", permanent=True)
    text = f"{row.body}\n\n{row.link}" if row.link and row.link not in row.body else row.body
    message = EmailMultiAlternatives(
        subject=row.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[row.address],
        headers={"X-Kesu-Delivery": str(row.delivery_id), "X-Kesu-Event": row.event},
        # EMAIL_TIMEOUT when set; never Django's default of waiting forever on a stuck server.
        connection=get_connection(fail_silently=False,
                                  timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 10),
    )
    message.attach_alternative(render_email_html(row.subject, row.body, row.link, row.language), "text/html")
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}") from exc


# --- webhooks ----------------------------------------------------------------------------

def signature(secret: str, body: bytes) -> str:
    """``X-Kesu-Signature`` of a generic webhook: ``sha256=<hex HMAC-SHA256(secret, body)>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature, already URL-encoded for the query string."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def webhook_request(row: Outbox, endpoint: WebhookEndpoint) -> tuple[str, bytes, dict[str, str]]:
    """URL, body and headers of the POST for ``row`` in ``endpoint``'s format."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    url = endpoint.url
    if endpoint.kind == WebhookKind.GENERIC:
        body = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers.update({"X-Kesu-Event": row.event, "X-Kesu-Delivery": str(row.delivery_id)})
        if endpoint.secret:
            headers["X-Kesu-Signature"] = signature(endpoint.secret, body)
        return url, body, headers
    text = markdown(row.subject, row.body, row.link, row.language)
    if endpoint.kind == WebhookKind.DINGTALK:
        data: dict[str, object] = {"msgtype": "markdown",
                                   "markdown": {"title": row.subject, "text": text[:DINGTALK_MAX_CHARS]}}
        if endpoint.secret:
            ts = int(time.time() * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(endpoint.secret, ts)}"
    else:
        data = {"msgtype": "markdown", "markdown": {"content": text[:WECOM_MAX_CHARS]}}
    return url, json.dumps(data, ensure_ascii=False).encode(), headers


def _check_response(kind: str, response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:300]}")
    if kind == WebhookKind.GENERIC:
        return
    try:
        answer = response.json()
    except ValueError as exc:
        raise DeliveryError(f"not a JSON answer: {response.text[:300]}") from exc
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        raise DeliveryError(f"robot refused: {response.text[:300]}")


def send_webhook(row: Outbox) -> None:
    endpoint = row.endpoint
    if endpoint is None:
        raise DeliveryError("the webhook endpoint was removed", permanent=True)
    if not endpoint.is_active and row.event != Event.TEST:  # admins test before switching on
        raise DeliveryError("the webhook endpoint is switched off", permanent=True)
    url, body, headers = webhook_request(row, endpoint)
    trust_env = bool(getattr(settings, "NOTIFY_HTTP_TRUST_ENV", True))
    try:
        with httpx.Client(timeout=http_timeout(), trust_env=trust_env) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    _check_response(endpoint.kind, response)
