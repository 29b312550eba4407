"""Pull: live W&B views in, spec objects out (decompile), and round-trip edits of spec files.

Enters: a view's fields and spec JSON (`decompile.LiveView`), W&B app URLs, spec file text.
Leaves: `decompile.Decompiled` (the spec body, plain data, and what the spec language cannot
say, each part with its JSON Pointer), YAML text, rewritten spec files. May import `remote`
(its data types), `compile`, `spec` and `problems`; never `commands` or `preview`.

For comparing a live view with a local spec in the spec's terms (issue 12):
`decompile(LiveView.of(remote))` then `compare.spec_diff(local_body, decompiled.body)`.
"""
