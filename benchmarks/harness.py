"""What every benchmark shares: whole processes, run as users run them, measured side by side.

    from benchmarks.harness import compare, measure, run_process, verdict

* `run_process(argv)`: one child process; its wall time and peak resident memory (wait4, in
  a small launcher: see LAUNCHER).
* `measure({"ours": argv, "peer": argv}, runs=5)`: the commands interleaved run by run
  (ours, peer, ours, peer, ...) after one unmeasured warm-up each, so that a busy machine
  slows both alike; returns each command's `Series`.
* `compare(ours, peer)`: medians of each, and the median of the pair-by-pair ratios.
* `verdict(value, limit)`: "met" or "MISSED" beside a target.

Children get the environment users have: Python writes and reads its bytecode caches
(PYTHONDONTWRITEBYTECODE is dropped), nothing else is changed.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    stdout: str = ""


@dataclass
class Series:
    """Runs of one command."""

    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return statistics.median(r.peak_mib for r in self.runs)


@dataclass(frozen=True)
class Comparison:
    ours: Series
    peer: Series

    @property
    def time_ratio(self) -> float:
        """Median of ours/peer over the interleaved pairs."""
        return statistics.median(
            a.seconds / b.seconds for a, b in zip(self.ours.runs, self.peer.runs, strict=False)
        )

    @property
    def memory_ratio(self) -> float:
        return statistics.median(
            a.peak_mib / b.peak_mib for a, b in zip(self.ours.runs, self.peer.runs, strict=False)
        )


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra or {})
    return env


def tool(name: str) -> str:
    """A console script of this virtual environment (reportgen, check-jsonschema)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{path} not found: install the bench extra (pip install -e '.[bench]')")
    return str(path)


# A child's ru_maxrss counts the memory of the process that started it (Linux records the old
# address space's high-water mark at exec, and a forked or vforked child's is its parent's):
# started from a benchmark holding a sandbox, a 20 MiB command would read as the benchmark's
# size. So each child is started by this small launcher, and its figures are the launcher's
# wait4 of it; its wall time is taken there too, around fork and wait.
LAUNCHER = """
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(report, "w") as f:
    f.write(f"{seconds!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


@dataclass(frozen=True)
class Finished:
    """One child process: its exit code, wall time, peak resident memory and output."""

    returncode: int
    seconds: float
    peak_mib: float
    stdout: str
    stderr: str


def launch(argv: Sequence[str], env: Mapping[str, str], cwd: Path = REPO) -> Finished:
    """Run one child through the launcher; its own wall time and peak memory."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        report = Path(tmp) / "report"
        launcher = [sys.executable, "-S", "-c", LAUNCHER, str(report), *argv]
        subprocess.run(launcher, stdout=out, stderr=err, cwd=cwd, env=dict(env), check=False)
        seconds, maxrss, code = report.read_text().split()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    scale = MIB if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    return Finished(int(code), float(seconds), int(maxrss) * scale / MIB, stdout, stderr)


def run_process(
    argv: Sequence[str], env: Mapping[str, str] | None = None, *, check: bool = True
) -> Run:
    """Run one child process; its wall time and peak resident memory."""
    done = launch(argv, child_env(env))
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}... exited {done.returncode}:\n{done.stderr}")
    return Run(done.seconds, done.peak_mib, done.stdout)


def measure(
    commands: Mapping[str, Sequence[str]],
    runs: int,
    env: Mapping[str, str] | None = None,
    *,
    warm: bool = True,
) -> dict[str, Series]:
    """Each command `runs` times, interleaved, after one unmeasured warm-up run each."""
    if warm:
        for argv in commands.values():
            run_process(argv, env)
    series = {name: Series() for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            series[name].runs.append(run_process(argv, env))
    return series


def compare(ours: Series, peer: Series) -> Comparison:
    return Comparison(ours, peer)


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "MISSED"


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        total = next(
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f", {total / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = ""
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}{load}"
    )
