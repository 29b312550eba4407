"""The verbs: paths and options in, plain results out (no printing, no exit codes).

One module per command (validate, build, plan, apply, preview, pull), with declare (specs
to views compiled on demand), settle (one copy per key after creates), pull_back and
review; files writes their output whole or not at all. Imports `preview`, `pull`, `remote`, `compile`, `spec` and `problems`; `cli/` is
their only caller.
"""
