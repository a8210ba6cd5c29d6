from kesu.mailin.htmltext import html_to_text
from kesu.mailin.parse import trim_quoted


def test_blocks_lists_and_entities():
    html = "<div>您好，</div><p>我买的<b>茶叶</b>&nbsp;发霉了&amp;变色。</p><ul><li>一</li><li>二</li></ul>"
    assert html_to_text(html) == "您好，\n\n我买的茶叶 发霉了&变色。\n\n- 一\n- 二"


def test_scripts_styles_and_head_are_dropped():
    html = ("<html><head><title>t</title><style>p{}</style></head><body>"
            "<script>alert(1)</script><p>正文</p></body></html>")
    assert html_to_text(html) == "正文"


def test_links_keep_their_address_and_images_their_alt():
    html = '<p>详见 <a href="https://x.cn/a">链接</a> <img alt="照片"> <a href="https://x.cn/b">https://x.cn/b</a></p>'
    assert html_to_text(html) == "详见 链接 (https://x.cn/a) [照片] https://x.cn/b"


def test_br_and_pre_keep_line_breaks():
    assert html_to_text("第一行<br>第二行<br/>第三行") == "第一行\n第二行\n第三行"
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"


def test_blockquote_is_marked_as_quote_and_trimmed():
    html = "<div>同意。</div><blockquote><div>旧的话</div><div>第二行</div></blockquote>"
    text = html_to_text(html)
    assert text == "同意。\n\n> 旧的话\n> 第二行"
    assert trim_quoted(text) == "同意。"
