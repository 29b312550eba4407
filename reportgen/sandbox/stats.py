"""Request accounting, for tests and benchmarks that assert on traffic.

Every request that reaches the sandbox is counted once, including ones a fault then fails (the
client did send it) and retries (each is a request). Writes are unambiguous: ``writes`` counts
GraphQL mutations and nothing else. Run logging outside GraphQL has its own kinds:
``file_stream`` (history/summary chunks) and ``upload`` (run files PUT to the URLs that
``createRunFiles`` hands out); neither counts as a read or a write. Admin endpoints
(``/_sandbox/...``) are not counted.

Injected faults are counted per operation and action (``latency``, ``429``, ``500``, ``drop``,
``drop_after``), and ``latency_seconds`` adds up the delay the sandbox actually slept, so a
test can check that latency was applied without timing anything itself.

``server_seconds`` adds up, per operation, the time from reading a request to having sent the
answer (injected latency included): what benchmarks report as server time. ``run_counts``
says how often ``runCount``/``totalCount`` was computed and how often it came from the cache;
``connections`` how many TCP connections were accepted (clients keep theirs alive).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

QUERY, MUTATION = "query", "mutation"
FILE_STREAM, UPLOAD, TELEMETRY = "file_stream", "upload", "telemetry"
UNAUTHORIZED, INVALID = "unauthorized", "invalid"


class Stats:
    """Thread-safe counters by operation name and by kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything counted so far."""
        with self._lock:
            self._operations: Counter[str] = Counter()
            self._writes: Counter[str] = Counter()
            self._kinds: Counter[str] = Counter()
            self._faults: Counter[tuple[str, str]] = Counter()
            self._delays: dict[str, float] = {}
            self._seconds: dict[str, float] = {}
            self._counts: Counter[str] = Counter()
            self._accepted = 0

    def record(self, name: str, kind: str) -> None:
        """Count one request: ``name`` is the operation (or endpoint) name, ``kind`` its kind."""
        with self._lock:
            self._operations[name] += 1
            self._kinds[kind] += 1
            if kind == MUTATION:
                self._writes[name] += 1

    def record_fault(self, name: str, action: str) -> None:
        """Count one injected failure (``429``, ``500``, ``drop`` or ``drop_after``)."""
        with self._lock:
            self._faults[(name, action)] += 1

    def record_delay(self, name: str, seconds: float) -> None:
        """Count one injected delay of ``seconds``, once it has been waited out."""
        with self._lock:
            self._faults[(name, "latency")] += 1
            self._delays[name] = self._delays.get(name, 0.0) + seconds

    def record_time(self, name: str, seconds: float) -> None:
        """Add the time one request of operation ``name`` took to serve."""
        with self._lock:
            self._seconds[name] = self._seconds.get(name, 0.0) + seconds

    def record_connection(self) -> None:
        """Count one accepted connection."""
        with self._lock:
            self._accepted += 1

    def record_count(self, cached: bool) -> None:
        """Count one run count: served from the cache, or computed."""
        with self._lock:
            self._counts["cached" if cached else "computed"] += 1

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy::

        {"requests": 9, "reads": 4, "writes": 1,
         "operations": {"Viewer": 3, "UpsertView2": 1, "file_stream": 2, ...},
         "write_operations": {"UpsertView2": 1},
         "kinds": {"query": 4, "mutation": 1, "file_stream": 2, "upload": 2},
         "faults": {"Viewer": {"500": 1, "latency": 2}},
         "latency_seconds": {"Viewer": 0.04},
         "server_seconds": {"Viewer": 0.043, "UpsertView2": 0.002, ...},
         "run_counts": {"computed": 1, "cached": 4},
         "connections": 2}
        """
        with self._lock:
            faults: dict[str, dict[str, int]] = {}
            for (name, action), count in sorted(self._faults.items()):
                faults.setdefault(name, {})[action] = count
            return {
                "requests": sum(self._kinds.values()),
                "reads": self._kinds[QUERY],
                "writes": self._kinds[MUTATION],
                "operations": dict(sorted(self._operations.items())),
                "write_operations": dict(sorted(self._writes.items())),
                "kinds": dict(sorted(self._kinds.items())),
                "faults": faults,
                "latency_seconds": {k: round(v, 6) for k, v in sorted(self._delays.items())},
                "server_seconds": {k: round(v, 6) for k, v in sorted(self._seconds.items())},
                "run_counts": {
                    "computed": self._counts["computed"],
                    "cached": self._counts["cached"],
                },
                "connections": self._accepted,
            }
