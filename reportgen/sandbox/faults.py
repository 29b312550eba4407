"""Fault injection for reliability tests: latency, 429, 500 and dropped connections.

A fault applies to one operation name (a GraphQL operation such as ``UpsertView2``, or the
endpoints ``file_stream``, ``upload`` and ``telemetry``) or to ``*``, which means every
operation and endpoint except telemetry. Each matching request is hit with probability
``rate``; with a ``seed`` the draws are reproducible for a given request order. ``times``
caps how often a fault fires, e.g. ``Fault("500", op="Viewer", times=1)`` fails the first
Viewer only, so the client's retry succeeds.

Mind the client: wandb-core retries 429 and 5xx with exponential backoff (about 2 s, then
4 s, ...), so every injected failure costs its test seconds.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

LATENCY, TOO_MANY, SERVER_ERROR, DROP = "latency", "429", "500", "drop"
KINDS = (LATENCY, TOO_MANY, SERVER_ERROR, DROP)
ANY = "*"
_NOT_IN_ANY = {"telemetry"}


@dataclass(frozen=True)
class Fault:
    """One rule. ``seconds`` is the delay for ``latency`` and the Retry-After for ``429``."""

    kind: str
    op: str = ANY
    rate: float = 1.0
    seconds: float = 1.0
    times: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, not {self.rate}")
        if self.seconds < 0 or (self.times is not None and self.times < 0):
            raise ValueError("fault seconds and times must not be negative")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """A Fault from its JSON form, e.g. ``{"kind": "429", "op": "Viewer", "times": 1}``."""
        unknown = set(data) - {"kind", "op", "rate", "seconds", "times"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("a fault needs a kind")
        times = data.get("times")
        return cls(
            kind=str(data["kind"]),
            op=str(data.get("op", ANY)),
            rate=float(data.get("rate", 1.0)),
            seconds=float(data.get("seconds", 1.0)),
            times=None if times is None else int(times),
        )

    def applies_to(self, name: str) -> bool:
        """Whether requests to operation (or endpoint) ``name`` are subject to this fault."""
        return self.op == name or (self.op == ANY and name not in _NOT_IN_ANY)

    @property
    def retry_after(self) -> str:
        """The Retry-After header value: whole seconds, as HTTP requires."""
        return str(math.ceil(self.seconds))


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait ``delay`` seconds, then fail with ``failure`` if set."""

    delay: float = 0.0
    failure: Fault | None = None


class FaultPlan:
    """The active faults of one sandbox; replaceable while it runs."""

    def __init__(self, faults: Iterable[Fault] = (), seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self.set(faults, seed)

    def set(self, faults: Iterable[Fault], seed: int | None = None) -> None:
        """Replace every fault (and restart the random sequence from ``seed``)."""
        with self._lock:
            self._faults = list(faults)
            self._fired = [0] * len(self._faults)
            self._seed = seed
            self._random = random.Random(seed)

    def clear(self) -> None:
        """Remove every fault."""
        self.set([])

    def decide(self, name: str) -> Decision:
        """Roll the dice for one request to operation (or endpoint) ``name``."""
        delay, failure = 0.0, None
        with self._lock:
            for index, fault in enumerate(self._faults):
                if not fault.applies_to(name) or (failure is not None and fault.kind != LATENCY):
                    continue
                if fault.times is not None and self._fired[index] >= fault.times:
                    continue
                # rate 1 draws nothing, so adding a certain fault keeps the others' sequence.
                if fault.rate < 1.0 and self._random.random() >= fault.rate:
                    continue
                self._fired[index] += 1
                if fault.kind == LATENCY:
                    delay += fault.seconds
                else:
                    failure = fault
        return Decision(delay, failure)

    def describe(self) -> dict[str, Any]:
        """JSON-ready: ``{"seed": s, "faults": [{..., "fired": n}]}``."""
        with self._lock:
            faults = [
                asdict(f) | {"fired": n} for f, n in zip(self._faults, self._fired, strict=True)
            ]
            return {"seed": self._seed, "faults": faults}
