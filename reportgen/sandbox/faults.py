"""Fault injection for reliability tests: latency, 429, 500 and dropped connections.

A fault applies to one operation name (a GraphQL operation such as ``UpsertView2``, or the
endpoints ``file_stream``, ``upload`` and ``telemetry``) or to ``*``, which means every
operation and endpoint except telemetry. Each matching request is hit with probability
``rate``; with a ``seed`` the draws are reproducible for a given request order. ``times``
caps how often a fault fires, e.g. ``Fault("500", op="Viewer", times=1)`` fails the first
Viewer only, so the client's retry succeeds.

Kinds:

* ``latency``: wait ``seconds`` before answering (adds up with other latency faults, and
  combines with one failure below).
* ``429``: answer 429 with ``Retry-After: ceil(seconds)``; nothing is executed.
* ``500``: answer 500; nothing is executed.
* ``drop``: reset the connection before executing anything: no response, nothing stored.
* ``drop_after``: execute the request (a mutation is stored, a file_stream chunk kept), then
  reset the connection without a response, the way a network loses a response on its way
  back. The client cannot tell this from ``drop``, and wandb-core resends either by itself
  (POSTs included). Resending the identical ``upsertView`` is harmless, as on W&B it is
  keyed by project and view name; a client that writes again under a fresh name (as
  ``Workspace.save()`` on a rebuilt workspace does) makes a duplicate view.

On the command line (``reportgen sandbox --fault TEXT``) a fault is written as its kind,
then optional ``field=value`` items, comma-separated (see ``parse_fault``)::

    500                                   every request fails with 500
    429,op=UpsertView2,seconds=2,times=1  the first UpsertView2 gets 429, Retry-After: 2
    drop_after,op=UpsertView2,rate=0.3    30% of UpsertView2 stored, then the answer lost
    latency,seconds=0.02                  20 ms on every request

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

LATENCY, TOO_MANY, SERVER_ERROR, DROP, DROP_AFTER = "latency", "429", "500", "drop", "drop_after"
KINDS = (LATENCY, TOO_MANY, SERVER_ERROR, DROP, DROP_AFTER)
ANY = "*"
FIELDS = ("op", "rate", "seconds", "times")
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
        if not self.op:
            raise ValueError("fault op must not be empty (use * for every operation)")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, not {self.rate}")
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise ValueError(f"fault seconds must be a finite number >= 0, not {self.seconds}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"fault times must not be negative, not {self.times}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """A Fault from its JSON form, e.g. ``{"kind": "429", "op": "Viewer", "times": 1}``."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a fault must be a JSON object, not {type(data).__name__}")
        unknown = set(data) - {"kind", *FIELDS}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(map(str, unknown)))}")
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

    def __str__(self) -> str:
        """The command-line form, e.g. ``429,op=Viewer,times=1``; ``parse_fault`` reads it."""
        items = [self.kind]
        if self.op != ANY:
            items.append(f"op={self.op}")
        if self.rate != 1.0:
            items.append(f"rate={_number(self.rate)}")
        if self.seconds != 1.0:
            items.append(f"seconds={_number(self.seconds)}")
        if self.times is not None:
            items.append(f"times={self.times}")
        return ",".join(items)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def parse_fault(text: str) -> Fault:
    """A Fault from its command-line form: ``KIND[,op=NAME][,rate=R][,seconds=S][,times=N]``.

    ``KIND`` is one of ``latency 429 500 drop drop_after`` (``kind=KIND`` works too, and
    ``drop-after`` for ``drop_after``). ``op`` is an operation name or ``*`` (the default);
    ``rate`` a probability within 0..1 or a percentage (``30%``), default 1; ``seconds`` the
    delay of ``latency`` and the Retry-After of ``429``, default 1; ``times`` how often the
    fault may fire, default unlimited. Examples::

        parse_fault("500")
        parse_fault("429,op=UpsertView2,seconds=2,times=1")
        parse_fault("drop_after,op=UpsertView2,rate=30%")
        parse_fault("kind=latency,seconds=0.02")

    Raises ValueError with a one-line message naming the problem.
    """
    try:
        return _parse_fault(text)
    except ValueError as exc:
        raise ValueError(f"bad fault {text!r}: {exc}") from None


def _parse_fault(text: str) -> Fault:
    items = [item.strip() for item in text.split(",")]
    if not items[0]:
        raise ValueError(f"expected KIND[,field=value...] with KIND one of {', '.join(KINDS)}")
    fields: dict[str, str] = {}
    for index, item in enumerate(items):
        name, equals, value = (part.strip() for part in item.partition("="))
        if not equals:
            if index > 0:
                raise ValueError(f"expected field=value, not {item!r}")
            name, value = "kind", name
        if name not in ("kind", *FIELDS):
            raise ValueError(f"unknown field {name!r} (fields: kind, {', '.join(FIELDS)})")
        if name in fields:
            raise ValueError(f"{name} given twice")
        if not value:
            raise ValueError(f"{name} needs a value")
        fields[name] = value
    if "kind" not in fields:
        raise ValueError(f"a fault needs a kind, one of {', '.join(KINDS)}")
    kind = fields["kind"].lower().replace("-", "_")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {fields['kind']!r}")
    times = fields.get("times")
    return Fault(
        kind=kind,
        op=fields.get("op", ANY),
        rate=_rate(fields.get("rate", "1")),
        seconds=_float("seconds", fields.get("seconds", "1")),
        times=None if times is None else _int("times", times),
    )


def _rate(text: str) -> float:
    if text.endswith("%"):
        return _float("rate", text[:-1].strip()) / 100
    return _float("rate", text)


def _float(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {text!r}") from None


def _int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait ``delay`` seconds, then fail with ``failure`` if set.

    A ``drop_after`` failure runs the request first and only then drops the connection.
    """

    delay: float = 0.0
    failure: Fault | None = None
    delayed: bool = False  # a latency fault fired (even one of 0 seconds)


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
        delay, failure, delayed = 0.0, None, False
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
                    delay, delayed = delay + fault.seconds, True
                else:
                    failure = fault
        return Decision(delay, failure, delayed)

    def describe(self) -> dict[str, Any]:
        """JSON-ready: ``{"seed": s, "faults": [{..., "fired": n}]}``."""
        with self._lock:
            faults = [
                asdict(f) | {"fired": n} for f, n in zip(self._faults, self._fired, strict=True)
            ]
            return {"seed": self._seed, "faults": faults}
