"""The edge: command-line options in, one library call per command, text and an exit code out.

`app` holds the click group, `run` and `main`; `online` the commands that talk to W&B,
`serve` the sandbox; `options` and `help` what several commands share; `render`,
`reporters` and `progress` the output. Imports every other layer; nothing imports it but
`reportgen.demo` and `python -m reportgen`.
"""

from __future__ import annotations

from reportgen.cli.app import EXIT_FAILURE, EXIT_OK, _internal_error, cli, main, run

__all__ = ["EXIT_FAILURE", "EXIT_OK", "_internal_error", "cli", "main", "run"]
