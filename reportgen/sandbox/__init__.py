"""A local W&B-compatible server for the real ``wandb`` and ``wandb-workspaces`` clients.

``reportgen sandbox`` runs it in the foreground; tests use the ``Sandbox`` handle (and the
fixtures in ``reportgen.sandbox.pytest_plugin``).
"""

from __future__ import annotations

from reportgen.sandbox.faults import Fault
from reportgen.sandbox.handle import Sandbox

__all__ = ["Fault", "Sandbox"]
