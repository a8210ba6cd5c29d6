"""Builders of test messages, in the shapes Chinese mail clients really send."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

# The smallest valid PNG (1x1): passes the attachment type check by its content.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def mail(
    *,
    subject: str = "茶叶发霉了",
    body: str = "我在南京路店买的龙井打开就发霉了，请尽快处理。",
    sender: str = "李四 <lisi@example.cn>",
    message_id: str | None = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    html: str | None = None,
) -> bytes:
    """A UTF-8 message; ``message_id=None`` leaves the header out, "" makes a fresh one."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kefu@shop.example.cn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        msg["Message-ID"] = message_id or make_msgid(domain="example.cn")
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None and not body:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    for filename, ctype, data in attachments or []:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def gbk_mail() -> bytes:
    """Foxmail style: GB2312-labelled encoded words holding GBK characters, GBK body, RFC 2231 name."""
    subject = base64.b64encode("投诉：镕铁锅生锈".encode("gbk")).decode()  # 镕 is GBK, not GB2312
    name = base64.b64encode("王五".encode("gbk")).decode()
    body = base64.b64encode("锅用了两天就生锈了。\r\n请退款。".encode("gbk")).decode()
    filename = "".join(f"%{b:02X}" for b in "发票.pdf".encode("gbk"))
    pdf = base64.b64encode(PDF).decode()
    return (
        f"From: =?gb2312?B?{name}?= <wangwu@example.cn>\r\n"
        f"To: kefu@shop.example.cn\r\n"
        f"Subject: =?gb2312?B?{subject}?=\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:00 +0800\r\n"
        f"Message-ID: <gbk-1@example.cn>\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{body}\r\n"
        f"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; filename*=GBK''{filename}\r\n\r\n{pdf}\r\n"
        f"--b1--\r\n"
    ).encode("ascii")
