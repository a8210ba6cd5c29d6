import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from kesu.mailin.parse import decode_bytes, decode_header_value, parse_message, trim_quoted
from kesu.mailin.tests.mails import PDF, PNG, gbk_mail, mail


def test_gbk_subject_body_sender_and_rfc2231_filename():
    parsed = parse_message(gbk_mail())
    assert parsed.subject == "投诉：镕铁锅生锈"
    assert parsed.from_name == "王五"
    assert parsed.from_address == "wangwu@example.cn"
    assert parsed.text == "锅用了两天就生锈了。\n请退款。"
    assert parsed.message_id == "gbk-1@example.cn"
    assert parsed.key == "gbk-1@example.cn"
    assert parsed.date is not None and parsed.date.isoformat() == "2026-11-02T10:00:00+08:00"
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("发票.pdf", "application/pdf", PDF)
    ]
    assert parsed.automatic == ""


def test_raw_8bit_gbk_subject_is_decoded():
    raw = (b"From: a@example.cn\r\nSubject: " + "快递丢件".encode("gbk")
           + b"\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + "包裹没收到".encode("gbk"))
    parsed = parse_message(raw)
    assert parsed.subject == "快递丢件"
    assert parsed.text == "包裹没收到"


def test_big5_and_mislabelled_charsets_fall_back():
    assert decode_bytes("客訴處理".encode("big5"), "big5") == "客訴處理"
    # Labelled UTF-8 but really GB18030: decoded by the fallback chain, not with replacement marks.
    assert decode_bytes("退货".encode("gb18030"), "utf-8") == "退货"
    assert decode_bytes(b"plain", "x-unknown-charset") == "plain"


def test_encoded_words_split_across_lines_and_q_encoding():
    first = base64.b64encode("产品".encode()).decode()
    second = base64.b64encode("质量".encode()).decode()
    assert decode_header_value(f"=?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?=") == "产品质量"
    assert decode_header_value("=?utf-8?Q?Re=3A_=E9=80=80=E6=AC=BE?=") == "Re: 退款"


def test_utf8_filename_in_rfc2231_continuations_and_inline_image():
    raw = (
        b"From: a@example.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + "<p>图片<img src=\"cid:img1\"></p>\r\n".encode()
        + b"--r\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: inline; filename*0*=UTF-8''%E7%8E%B0%E5%9C%BA; "
        b"filename*1*=%E7%85%A7.png\r\n\r\n"
        + base64.b64encode(PNG) + b"\r\n--r--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.text == "图片"
    assert parsed.html_only is True
    [image] = parsed.attachments
    assert (image.filename, image.content_type, image.inline, image.content_id) == (
        "现场照.png", "image/png", True, "img1")
    assert image.data == PNG


def test_html_only_body_becomes_text():
    html = ("<html><head><style>p{color:red}</style></head><body><div>您好，</div>"
            "<p>收到的<b>茶叶</b>&nbsp;发霉了。</p><ul><li>订单 123</li><li>批次 B9</li></ul></body></html>")
    parsed = parse_message(mail(body="", html=html))
    assert parsed.html_only is True
    assert parsed.text == "您好，\n\n收到的茶叶 发霉了。\n\n- 订单 123\n- 批次 B9"


def test_plain_part_is_preferred_over_html():
    parsed = parse_message(mail(body="纯文本正文", html="<p>HTML 正文</p>"))
    assert parsed.text == "纯文本正文"
    assert parsed.html_only is False


def test_message_without_message_id_is_keyed_by_sha256():
    raw = mail(message_id=None)
    parsed = parse_message(raw)
    assert parsed.message_id == ""
    assert parsed.key.startswith("sha256:") and len(parsed.key) == 7 + 64
    assert parse_message(raw).key == parsed.key


def test_references_and_in_reply_to():
    parsed = parse_message(mail(headers={"In-Reply-To": "<a1@x.cn>", "References": "<a0@x.cn> <a1@x.cn>"}))
    assert parsed.in_reply_to == "a1@x.cn"
    assert parsed.references == ["a0@x.cn", "a1@x.cn"]


def test_automatic_mail_is_recognised():
    assert parse_message(mail(headers={"Auto-Submitted": "auto-replied"})).automatic == "auto-submitted"
    assert parse_message(mail(headers={"Auto-Submitted": "no"})).automatic == ""
    assert parse_message(mail(headers={"X-Autoreply": "yes"})).automatic == "autoreply"
    assert parse_message(mail(headers={"Precedence": "bulk"})).automatic == "precedence"
    assert parse_message(mail(sender="MAILER-DAEMON@mx.example.cn")).automatic == "mailer-daemon"


def test_not_an_email_has_no_headers():
    assert parse_message(b"\x00\x01 just some bytes\n").has_headers is False
    assert parse_message(mail()).has_headers is True


def test_trim_netease_style_quote():
    text = ("好的，我明天在家。\n\n在 2026-11-02 10:00:00，\"客服\" <kefu@shop.cn> 写道：\n"
            "> 请问您何时方便？\n> 谢谢")
    assert trim_quoted(text) == "好的，我明天在家。"


def test_trim_wrapped_gmail_style_quote_and_gt_lines():
    text = ("Thanks, received.\n> inline quote\nStill mine.\n\n"
            "On Mon, Nov 2, 2026 at 10:00 AM Service\n<kefu@shop.cn> wrote:\n> old")
    assert trim_quoted(text) == "Thanks, received.\nStill mine."


def test_trim_foxmail_and_outlook_headers():
    fox = ("已收到补发的货。\n\n------------------ 原始邮件 ------------------\n"
           "发件人: \"客服\"\n发送时间: 2026年11月2日\n主题: 回复")
    assert trim_quoted(fox) == "已收到补发的货。"
    outlook = "可以。\n\n-----Original Message-----\nFrom: kefu\nSent: Monday\nSubject: x"
    assert trim_quoted(outlook) == "可以。"
    header_block = ("同意方案。\n\n发件人: 客服 <kefu@shop.cn>\n发送时间: 2026年11月2日 10:00\n"
                    "收件人: 我\n\n旧内容")
    assert trim_quoted(header_block) == "同意方案。"


def test_trim_keeps_everything_if_all_would_go():
    text = "-----原始邮件-----\n发件人: a\n内容"
    assert trim_quoted(text) == text


def test_parsed_reply_text_property():
    parsed = parse_message(mail(body="新的情况：又坏了。\n\n在 2026年11月2日，客服 写道：\n> 已处理"))
    assert parsed.reply_text == "新的情况：又坏了。"
    assert "已处理" in parsed.text


def test_forwarded_message_is_kept_as_eml_attachment():
    inner = mail(subject="原邮件", body="内层正文")
    raw = mail(body="转给你们看看", attachments=[])
    from email import message_from_bytes, policy

    outer = message_from_bytes(raw, policy=policy.default)
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))
    parsed = parse_message(outer.as_bytes())
    assert parsed.text == "转给你们看看"
    [eml] = parsed.attachments
    assert eml.content_type == "message/rfc822"
    assert b"Subject:" in eml.data and "内层正文" not in parsed.text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_parse_never_raises_on_arbitrary_bytes(raw):
    parsed = parse_message(raw)
    assert isinstance(parsed.text, str) and parsed.key


_REAL = gbk_mail()


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_REAL) - 1), st.binary(min_size=1, max_size=8))
def test_parse_never_raises_on_damaged_chinese_mail(position, junk):
    parsed = parse_message(_REAL[:position] + junk + _REAL[position + len(junk):])
    assert isinstance(parsed.subject, str) and isinstance(parsed.attachments, list)


def test_damaged_mime_parameters_that_crash_the_stdlib_parser():
    # email.policy.default raises IndexError on "name*" without a value (found by fuzzing).
    raw = "From: a@example.cn\r\nSubject: 坏参数\r\nContent-Type: text/plain; name*\r\n\r\n正文\r\n".encode()
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.from_address) == ("坏参数", "a@example.cn")
    assert parsed.text == "正文"


def test_pipe_formats_mbox_from_line_and_bare_newlines():
    """Postfix and procmail hand over LF line ends, sometimes after an mbox "From " line."""
    raw = b"From wangwu@example.cn  Mon Nov  2 10:00:00 2026\n" + gbk_mail().replace(b"\r\n", b"\n")
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.from_address, parsed.message_id) == (
        "投诉：镕铁锅生锈", "wangwu@example.cn", "gbk-1@example.cn")
    assert parsed.text == "锅用了两天就生锈了。\n请退款。"
    assert [a.data for a in parsed.attachments] == [PDF]
