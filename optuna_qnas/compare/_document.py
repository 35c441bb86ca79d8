"""A small document model: blocks rendered to Markdown and to self-contained HTML.

A report is built once as a list of blocks (headings, paragraphs, bullet lists, tables, images,
code) and rendered twice. Text may hold `code` and **bold** spans; the HTML rendering escapes
everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
import html
from typing import Any


class Document:
    """Blocks in order; :meth:`markdown` and :meth:`html` render the same content."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, Any]] = []

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def ul(self, items: Sequence[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.blocks.append(("table", (list(header), [list(r) for r in rows])))

    def img(self, path: str, alt: str) -> None:
        self.blocks.append(("img", (path, alt)))

    def code(self, text: str) -> None:
        self.blocks.append(("code", text))

    def markdown(self) -> str:
        out: list[str] = []
        for kind, data in self.blocks:
            if kind == "h":
                out.append("#" * data[0] + " " + data[1])
            elif kind == "p":
                out.append(data)
            elif kind == "ul":
                out.append("\n".join(f"- {item}" for item in data))
            elif kind == "table":
                header, rows = data
                esc = lambda c: str(c).replace("|", "\\|")  # noqa: E731
                lines = ["| " + " | ".join(esc(c) for c in header) + " |"]
                lines.append("|" + "|".join("---" for _ in header) + "|")
                lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
                out.append("\n".join(lines))
            elif kind == "img":
                out.append(f"![{data[1]}]({data[0]})")
            elif kind == "code":
                out.append("```\n" + data + "\n```")
        return "\n\n".join(out) + "\n"

    def html(self, title: str) -> str:
        body: list[str] = []
        for kind, data in self.blocks:
            if kind == "h":
                body.append(f"<h{data[0]}>{_inline(data[1])}</h{data[0]}>")
            elif kind == "p":
                body.append(f"<p>{_inline(data)}</p>")
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in data) + "</ul>")
            elif kind == "table":
                header, rows = data
                head = "".join(f"<th>{_inline(c)}</th>" for c in header)
                rows_html = "".join(
                    "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>"
                    for row in rows
                )
                body.append(
                    f"<table><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>"
                )
            elif kind == "img":
                body.append(
                    f'<figure><img src="{html.escape(data[0])}" alt="{html.escape(data[1])}">'
                    f"<figcaption>{html.escape(data[1])}</figcaption></figure>"
                )
            elif kind == "code":
                body.append(f"<pre><code>{html.escape(data)}</code></pre>")
        style = (
            "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
            "padding:0 1em;color:#222;line-height:1.45}"
            "table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
            "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}"
            "th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}"
            "img{max-width:100%}pre{background:#f6f6f6;padding:.8em;overflow-x:auto}"
            "code{background:#f6f6f6;padding:0 .2em}figure{margin:1em 0}"
            "figcaption{font-size:.85em;color:#555}"
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{style}</style></head><body>\n"
            + "\n".join(body)
            + "\n</body></html>\n"
        )


def _inline(text: str) -> str:
    """Escape ``text`` for HTML and render `code` and **bold** spans."""
    out = []
    for i, part in enumerate(str(text).split("`")):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
        else:
            chunks = html.escape(part).split("**")
            out.append("".join(f"<b>{c}</b>" if j % 2 else c for j, c in enumerate(chunks)))
    return "".join(out)
