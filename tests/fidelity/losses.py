"""Where wandb-workspaces 0.4.13 loses part of a spec we send when it loads it back.

Loading (``Workspace.from_url`` / ``Report.from_url``, or ``_from_model``) and serialising
again (``_to_model()``, what ``save()`` sends) keeps everything reportgen compiles except the
paths below. REPORT.md 5.1 lists the library's round-trip losses for specs made in the W&B
app; of those, ours never carry the lossy parts (workspace runs-table columns beyond the
pinned ones, text marks, ``openViz: false``, custom panel-bank sections, ``.value`` on
report sort keys: see ``tests/test_fidelity.py``). Disabled runs gaining a
``customRunColors`` entry ``""`` (REPORT 5.1) is unified by ``normalize``.

Found by these tests, not in REPORT.md:

* report ``width``: ``Report._from_model`` does not read it, so a loaded report is saved
  with the default ``"readable"`` (``fixed`` and ``fluid`` are lost).
"""

from __future__ import annotations

import copy
from typing import Any

REPORT_VIEW_TYPES = ("runs", "runs/draft")


def as_reloaded(spec: dict[str, Any], view_type: str) -> dict[str, Any]:
    """``spec`` as the library writes it after loading it: the losses above applied."""
    reloaded = copy.deepcopy(spec)
    if view_type in REPORT_VIEW_TYPES:
        reloaded["width"] = "readable"
    return reloaded
