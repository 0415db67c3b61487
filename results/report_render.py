"""Rendering: a report is a list of ``Section`` blocks, written once as Markdown and once as offline HTML.

Both renderers walk the same sections; what a section says (titles, cell text, markers, notes) is decided
when it is built, so the two files always agree. The HTML has its style inline and loads nothing: no
scripts, no fonts, images by relative path.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

ROW_KINDS = ("baseline", "reference", "regression", "improvement")


@dataclass
class Section:
    """A titled block: paragraphs (``**bold**`` allowed), a table (header + rows), notes under it, an image.

    ``bold`` holds the (row, column) cells to emphasise; ``row_kinds`` maps a row to one of ROW_KINDS, which
    only the HTML shows as a shade (the row's text already says what it is).
    """

    title: str
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    bold: set[tuple[int, int]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    image: str | None = None
    level: int = 2
    row_kinds: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.row_kinds.values()) - set(ROW_KINDS)
        if unknown:
            raise ValueError(f"unknown row kind {', '.join(sorted(unknown))}; valid row kinds: {', '.join(ROW_KINDS)}")


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]


def _literal(text: str) -> str:
    """Markdown text in which ``<`` starts no HTML tag: a hostile dataset or objective name stays text."""
    return text.replace("<", "\\<")


def markdown(sections: list[Section]) -> str:
    """The report as GitHub-flavoured Markdown; raw HTML in any text is shown as text, never passed through."""
    lines: list[str] = []
    for section in sections:
        lines += ["#" * section.level + " " + _literal(section.title), ""]
        for paragraph in _paragraphs(section.text):
            lines += [_literal(paragraph), ""]
        if section.header:
            lines.append("| " + " | ".join(_literal(h) for h in section.header) + " |")
            lines.append("|" + "---|" * len(section.header))
            for r, row in enumerate(section.rows):
                cells = [_literal(c).replace("|", "\\|") for c in row]
                cells = [f"**{c}**" if (r, i) in section.bold and c else c for i, c in enumerate(cells)]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        for note in section.notes:
            lines += [f"*{_literal(note)}*", ""]
        if section.image:
            lines += [f"![{_literal(section.title)}]({section.image})", ""]
    return "\n".join(lines)


def _inline(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))


def _anchor(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def _table(section: Section) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in section.header)
    rows = []
    for r, row in enumerate(section.rows):
        kind = section.row_kinds.get(r)
        cells = "".join(
            f"<td><b>{html.escape(c)}</b></td>" if (r, i) in section.bold else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(row)
        )
        rows.append(f'<tr class="{kind}">{cells}</tr>' if kind else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #3b6ea5;padding-bottom:.2em}h2{border-bottom:1px solid #ddd;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 .5em;font-variant-numeric:tabular-nums}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
th{background:#f2f4f7}tr.baseline td{background:#f7f7f7}tr.reference td{background:#fffbe8;font-style:italic}
tr.regression td{background:#fde8e8}tr.improvement td{background:#e8f6ea}
p.note{font-size:.9em;color:#555;margin:.2em 0 1.2em}img{max-width:100%;margin:.5em 0 1.5em}
nav{background:#f6f8fa;border:1px solid #e1e4e8;padding:.5em 1em;font-size:.95em}nav a{margin-right:1em}
"""


def html_page(sections: list[Section], title: str) -> str:
    """The report as one self-contained HTML page; a contents bar after the first section links the level-2 ones."""
    taken: set[str] = set()
    blocks, contents = [], []
    for section in sections:
        anchor, level = _anchor(section.title, taken), min(section.level, 6)
        block = [f'<h{level} id="{anchor}">{html.escape(section.title)}</h{level}>']
        block += [f"<p>{_inline(paragraph)}</p>" for paragraph in _paragraphs(section.text)]
        if section.header:
            block.append(_table(section))
        block += [f'<p class="note">{_inline(note)}</p>' for note in section.notes]
        if section.image:
            block.append(f'<img src="{html.escape(section.image)}" alt="{html.escape(section.title)}">')
        if section.level == 2:
            contents.append(f'<a href="#{anchor}">{html.escape(section.title)}</a>')
        blocks.append("\n".join(block))
    if contents:
        blocks.insert(min(1, len(blocks)), f"<nav>{' '.join(contents)}</nav>")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(blocks) + "\n</body></html>\n"
    )
