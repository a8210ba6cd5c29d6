"""HTML mail bodies to plain text with the stdlib ``html.parser`` (no new dependency).

Webmail (QQ, NetEase, Outlook on the web) often sends HTML only. Case descriptions are plain
text, so block elements become line breaks, lists get dashes, links keep their address, and
``<blockquote>`` content is prefixed with "> " so the quoted-reply trimming can drop it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCK = {
    "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "h1", "h2", "h3",
    "h4", "h5", "h6", "pre", "hr", "address", "blockquote", "center",
}
PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre", "hr"}
SKIP = {"script", "style", "head", "title", "template", "noscript"}


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0
        self.href: str | None = None
        self.link_text = ""

    def _newline(self, tag: str = "") -> None:
        """End the current line; paragraphs and headings also leave a blank line."""
        if self.lines[-1].strip():
            self.lines.append("")
        if tag in PARAGRAPH and len(self.lines) > 1 and self.lines[-2].strip():
            self.lines.append("")

    def _write(self, text: str) -> None:
        if not self.lines[-1] and self.quote_depth:
            self.lines[-1] = "> " * self.quote_depth
        self.lines[-1] += text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self.lines.append("")
        elif tag == "li":
            self._newline()
            self._write("- ")
        elif tag in ("td", "th"):
            if self.lines[-1].strip():
                self._write("\t")
        elif tag in BLOCK:
            self._newline(tag)
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1
        elif tag == "a":
            self.href = dict(attrs).get("href") or None
            self.link_text = ""
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt.strip():
                self._write(f"[{alt.strip()}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in BLOCK or tag == "li":
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            self._newline(tag)
        elif tag == "a":
            href, self.href = self.href, None
            if href and href.startswith(("http://", "https://")) and href not in self.link_text:
                self._write(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            parts = data.split("\n")
            self._write(parts[0])
            for part in parts[1:]:
                self.lines.append("")
                self._write(part)
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)
        if not self.lines[-1].strip() and not self.lines[-1].startswith(">"):
            text = text.lstrip()
        if self.href is not None:
            self.link_text += text
        if text:
            self._write(text)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body; tags, scripts and styles are dropped."""
    builder = _TextBuilder()
    builder.feed(html)
    builder.close()
    lines = [line.rstrip().replace("\u00a0", " ") for line in builder.lines]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
