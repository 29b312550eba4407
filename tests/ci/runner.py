"""Runs the example pipelines' shell steps the way GitHub Actions and GitLab CI would.

GitHub: the workflow's jobs whose `if:` holds for the event, each `run:` step in order with
`bash -e` (GitHub's default shell), the workflow, job and step `env:` with every `${{ }}`
expression evaluated against test values, step `if:` conditions, `$GITHUB_OUTPUT` for step
outputs and `$GITHUB_STEP_SUMMARY` per step. `uses:` steps (checkout, setup-python) are
what the test did already: the checkout is the working folder, Python is this one.

GitLab: the jobs whose `rules:` match the pipeline source, stage by stage, each one's
`before_script` and `script` lines in one `bash` with `set -eo pipefail` (as the runner
does), the file's `variables:` under the project's CI/CD variables, `allow_failure:
exit_codes`.

Calls to GitHub's and GitLab's APIs and the install of reportgen go to tests/ci/stub.py
(see there); `reportgen` is this checkout's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STUB = Path(__file__).with_name("stub.py")


@dataclass
class Step:
    name: str
    code: int | None  # None: skipped
    stdout: str = ""
    stderr: str = ""
    summary: str = ""
    allowed_failure: bool = False  # GitLab: an exit code the job's allow_failure lists


@dataclass
class Run:
    steps: list[Step] = field(default_factory=list)

    @property
    def ran(self) -> list[Step]:
        return [s for s in self.steps if s.code is not None]

    @property
    def summary(self) -> str:
        return "".join(s.summary for s in self.steps)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


def tools(folder: Path) -> Path:
    """A bin folder with `reportgen` (this checkout) and the stubbed `gh`, `curl`, `pip`."""
    folder.mkdir(parents=True, exist_ok=True)
    scripts = {"reportgen": f'exec "{sys.executable}" -m reportgen "$@"'}
    scripts.update({t: f'exec "{sys.executable}" "{STUB}" {t} "$@"' for t in ("gh", "curl", "pip")})
    for name, line in scripts.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{line}\n")
        path.chmod(0o755)
    return folder


def base_env(bin_dir: Path, state: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """A clean runner: no W&B variables but what the pipeline sets itself."""
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(state.parent / "home"),
        "LANG": "C.UTF-8",
        "CI": "true",
        "CI_STUB_STATE": str(state),
    }
    env.update(extra)
    return env


def _bash(script: str, cwd: Path, env: Mapping[str, str], flags: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(
        ["bash", *flags, "-c", script],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


# GitHub Actions


class Expression:
    """GitHub's expression language, as far as the examples use it: literals, context
    references, ==, !=, !, &&, || (returning an operand, as GitHub does), parentheses and the
    status functions. A `github.` reference the test did not provide is an error."""

    TOKEN = re.compile(
        r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>==|!=|&&|\|\||!|\(|\))"
        r"|(?P<fn>(?:always|success|failure|cancelled)\(\))|(?P<ref>[A-Za-z_][\w.-]*))"
    )

    def __init__(self, text: str, context: Mapping[str, Any], status: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = self.TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise ValueError(f"cannot read expression {text!r} at {pos}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match[kind]))
            pos = match.end()
        self.context, self.status, self.pos = context, status, 0

    def value(self) -> Any:
        result = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"trailing tokens in {self.tokens}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == "||":
            self.pos += 1
            right = self._and()
            left = left or right
        return left

    def _and(self) -> Any:
        left = self._not()
        while self._peek() == "&&":
            self.pos += 1
            right = self._not()
            left = left and right
        return left

    def _not(self) -> Any:
        if self._peek() == "!":
            self.pos += 1
            return not self._not()
        left = self._primary()
        if self._peek() in ("==", "!="):
            op = self._peek()
            self.pos += 1
            right = self._primary()
            same = _loose(left) == _loose(right)
            return same if op == "==" else not same
        return left

    def _primary(self) -> Any:
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if text == "(":
            inner = self._or()
            self.pos += 1  # ")"
            return inner
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if kind == "fn":
            return {
                "always()": True,
                "success()": self.status == "success",
                "failure()": self.status == "failure",
                "cancelled()": False,
            }[text]
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        return self._lookup(text)

    def _lookup(self, ref: str) -> Any:
        root, *path = ref.split(".")
        node: Any = self.context[root]
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                if root in ("github", "matrix"):
                    raise KeyError(f"the test gives no value for {ref}")
                return None  # an unset secret, variable, output or env var is null
            node = node[part]
        return node


def _loose(value: Any) -> Any:
    """GitHub compares strings ignoring case; null equals the empty string."""
    if value is None:
        return ""
    return value.lower() if isinstance(value, str) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: str, context: Mapping[str, Any], status: str = "success") -> str:
    return re.sub(
        r"\$\{\{(.*?)\}\}",
        lambda m: _text(Expression(m[1], context, status).value()),
        text,
    )


def _env(block: Mapping[str, Any] | None, context: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): substitute(_text(v), context) for k, v in (block or {}).items()}


def run_github(
    workflow: Path, event: str, context: Mapping[str, Any], cwd: Path, env: Mapping[str, str]
) -> Run:
    """Run the jobs of `workflow` that an `event` starts; `context` holds github, secrets and
    vars as the test sets them."""
    doc = yaml.safe_load(workflow.read_text())
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert event in triggers, f"{workflow.name} does not run on {event}"
    run = Run()
    for job in doc["jobs"].values():
        ctx: dict[str, Any] = {**context, "steps": {}, "env": {}}
        if "if" in job and not Expression(job["if"], ctx, "success").value():
            continue
        ctx["env"] = job_env = {**_env(doc.get("env"), ctx), **_env(job.get("env"), ctx)}
        status = "success"
        for index, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("uses") or f"step {index}"
            if "uses" in step:
                run.steps.append(Step(name, None))  # done by the test: checkout, Python
                continue
            if not Expression(step.get("if", "success()"), ctx, status).value():
                run.steps.append(Step(name, None))
                continue
            ctx["env"] = {**job_env}
            step_env = {**job_env, **_env(step.get("env"), ctx)}
            output = cwd.parent / f"output-{index}"
            summary = cwd.parent / f"summary-{index}"
            output.write_text("")
            summary.write_text("")
            github = context["github"]
            full = {
                **env,
                **step_env,
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": github["event_name"],
                "GITHUB_REPOSITORY": github["repository"],
                "GITHUB_SHA": github["sha"],
                "GITHUB_SERVER_URL": github["server_url"],
                "GITHUB_RUN_ID": github["run_id"],
                "GITHUB_WORKSPACE": str(cwd),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
            }
            code, out, err = _bash(substitute(step["run"], ctx, status), cwd, full, ["-e"])
            run.steps.append(Step(name, code, out, err, summary.read_text()))
            if "id" in step:
                lines = output.read_text().splitlines()
                ctx["steps"][step["id"]] = {"outputs": dict(line.split("=", 1) for line in lines)}
            if code != 0:
                status = "failure"
    return run


# GitLab CI


def _rule(text: str, variables: Mapping[str, str]) -> bool:
    """A `rules: if:` of the forms the example uses: $VAR == "x" / $A == $B joined by && / ||."""

    def atom(token: str) -> str | None:
        token = token.strip()
        if token.startswith("$"):
            return variables.get(token[1:]) or None
        return json.loads(token)

    def comparison(part: str) -> bool:
        left, op, right = re.split(r"\s*(==|!=)\s*", part.strip())
        same = atom(left) == atom(right)
        return same if op == "==" else not same

    return any(all(comparison(c) for c in alt.split("&&")) for alt in text.split("||"))


def run_gitlab(
    pipeline: Path, variables: Mapping[str, str], cwd: Path, env: Mapping[str, str]
) -> dict[str, Step]:
    """Run the jobs of `.gitlab-ci.yml` whose rules match; `variables` are GitLab's predefined
    variables and the project's CI/CD variables (which win over the file's)."""
    doc = yaml.safe_load(pipeline.read_text())
    stages = doc.get("stages", ["build", "test", "deploy"])
    default = doc.get("default", {})
    reserved = {"variables", "default", "stages", "workflow", "include"}
    jobs = [(n, j) for n, j in doc.items() if n not in reserved and isinstance(j, dict)]
    jobs.sort(key=lambda nj: stages.index(nj[1].get("stage", "test")))
    merged = {**{k: str(v) for k, v in doc.get("variables", {}).items()}, **variables}
    done: dict[str, Step] = {}
    for name, job in jobs:
        if not any(_rule(r["if"], merged) for r in job.get("rules", [])):
            continue
        if any(s.code not in (0, None) and not s.allowed_failure for s in done.values()):
            done[name] = Step(name, None)  # an earlier stage failed
            continue
        lines = [*job.get("before_script", default.get("before_script", [])), *job["script"]]
        code, out, err = _bash("\n".join(lines), cwd, {**env, **merged}, ["-eo", "pipefail"])
        allowed = code in (job.get("allow_failure") or {}).get("exit_codes", [])
        done[name] = Step(name, code, out, err, allowed_failure=allowed)
    return done
