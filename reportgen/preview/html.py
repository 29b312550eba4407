"""One self-contained HTML page: ranked tables and charts, readable offline.

No script, no external request: styles are inline, charts are inline SVG (`charts`), so
the file opens from disk, from a CI artifact or behind a strict Content-Security-Policy
(`default-src 'none'; style-src 'unsafe-inline'`). Every piece of run data is escaped.
A report's text blocks are shown in their order, with each panel grid's table and charts
where the grid stands.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence

from reportgen.preview.charts import svg
from reportgen.preview.evaluate import Board, Table
from reportgen.preview.tables import caption, cells, header
from reportgen.preview.view import GridBlock, TextBlock

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1c1f;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px}
.meta,.caption{color:#62666d;font-size:12px}
section.board{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:8px 20px 16px;margin:16px 0}
table.ranking{border-collapse:collapse;width:100%;margin:8px 0}
table.ranking th,table.ranking td{padding:6px 10px;border-bottom:1px solid #eceef1;text-align:left;white-space:nowrap}
table.ranking th{font-size:12px;color:#62666d;font-weight:600}
td.rank,td.n{text-align:right;font-variant-numeric:tabular-nums;width:3em}
td.num{font-variant-numeric:tabular-nums}
tr.first td{font-weight:600}tr.small td{color:#9aa0a6}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts figure{margin:0;border:1px solid #eceef1;border-radius:6px;background:#fff}
.charts svg{display:block;width:560px;max-width:100%;height:auto}
.gate.ok{color:#2e7d32}.gate.failed{color:#c62828;font-weight:600}.gate.unchecked{color:#a15c00;font-weight:600}
.problem{color:#8a5a00}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def table_html(board: Board, table: Table) -> Iterator[str]:
    head = header(table)
    yield '<table class="ranking"><thead><tr>'
    yield "".join(f"<th>{_e(h)}</th>" for h in head)
    yield "</tr></thead><tbody>"
    for row in table.shown:
        kind = "first" if row.rank == 1 else ("small" if row.small else "")
        yield f'<tr class="{kind}" data-key="{_e(row.key)}">'
        for name, cell in zip(head, cells(row, table), strict=True):
            css = {"rank": "rank", "n": "n", "name": "name", "group": "name"}.get(name, "num")
            yield f'<td class="{css}">{_e(cell)}</td>'
        yield "</tr>"
    yield f'</tbody></table><p class="caption">{_e(caption(board, table))}</p>'
    if table.charts:
        yield '<div class="charts">'
        for chart in table.charts:
            yield f"<figure>{svg(chart)}</figure>"
        yield "</div>"


def _text_block(block: TextBlock) -> str:
    if block.kind == "heading":
        level = min(max(block.level, 1), 3) + 2
        return f"<h{level}>{_e(block.text)}</h{level}>"
    if block.kind == "code":
        return f"<pre><code>{_e(block.text)}</code></pre>"
    return f"<p>{_e(block.text)}</p>"


def board_html(board: Board) -> Iterator[str]:
    target = board.target
    yield f'<section class="board" id="{_e(target.key)}">'
    yield f"<h2>{_e(target.title)} <code class=meta>{_e(target.key)}</code></h2>"
    tables = iter(board.tables)
    if board.view.blocks:
        for block in board.view.blocks:
            if isinstance(block, TextBlock):
                yield _text_block(block)
            elif isinstance(block, GridBlock):
                for _ in block.runsets:
                    table = next(tables, None)
                    if table is not None:
                        yield from table_html(board, table)
    else:
        for table in tables:
            yield from table_html(board, table)
    for gate in board.gates:
        state = "ok" if gate.ok else ("failed" if gate.checked else "unchecked")
        yield f'<p class="gate {state}">gate {gate.state}: {_e(gate.reason)}</p>'
    for problem in board.problems:
        yield f'<p class="problem">{_e(problem.level.value)}: {_e(problem.message)} ({_e(problem.code)})</p>'
    yield "</section>"


def page(boards: Sequence[Board], *, title: str, subtitle: str = "") -> str:
    """The whole page as one string."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
    ]
    if subtitle:
        parts.append(f'<p class="meta">{_e(subtitle)}</p>')
    for board in boards:
        parts.extend(board_html(board))
    parts.append("</main></body></html>\n")
    return "".join(parts)
