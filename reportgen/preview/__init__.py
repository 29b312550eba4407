"""Preview: W&B view JSON and runs in, the ranked runs table and its curves out.

What enters: a view's spec as W&B stores it (what `reportgen build` writes) and plain run
records (`records.RunRecord`), fetched from W&B by `fetch` through `remote.runs`. What
leaves: rankings (`engine`), data checks, gates and rank moves, rendered as a terminal
table, Markdown, CSV, JSON or one self-contained HTML page. The engine, checks, gates and
renderers are pure; only `fetch` reaches the network, through `remote`. Imports `remote`,
`compile`, `spec` and `problems`; never `pull`, `commands` or the sandbox.
"""
