"""The verbs: paths and options in, plain results out (no printing, no exit codes).

One module per command (validate, build, plan, apply). Imports `remote`, `compile`, `spec`
and `problems`; the CLI edge at the top of the package is their only caller.
"""
