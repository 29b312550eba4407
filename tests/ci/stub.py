"""A STUB standing in for `gh`, `curl` and `pip` while the example pipelines run in tests.

The pipelines' only calls to GitHub's and GitLab's APIs (posting the plan comment or note,
the commit status, the drift issue) and the install of reportgen are not run for real: this
script answers them from a small JSON state file ($CI_STUB_STATE) and records each call
and each body, so a test reads what would have been posted. It accepts exactly the
call shapes the files in examples/ci/ use and fails loudly (exit 97) on any other, so a
changed pipeline cannot silently stop being tested. Everything else in the pipelines
(validate, plan, apply) runs for real against the sandbox.

Usage (through the wrappers tests/ci/runner.py puts on PATH): stub.py gh|curl|pip ARGS...
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PINNED = re.compile(r"^reportgen @ git\+https://\S+@[0-9a-f]{40}$")
# Who a token acts as. A workflow's GITHUB_TOKEN (an installation token, `ghs_...`) comments
# as github-actions[bot]; a GitLab project access token as its project's bot user. Comments
# by anyone else (a person) are put into the state file by the tests.
GITHUB_TOKEN_USER = {"login": "github-actions[bot]", "type": "Bot"}
GITLAB_TOKEN_USER = {"id": 4242, "username": "project_42_bot_5f3a"}


def fail(message: str) -> int:
    sys.stderr.write(f"ci stub: {message}\n")
    return 97


class State:
    def __init__(self) -> None:
        self.path = Path(os.environ["CI_STUB_STATE"])
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {}
        for name in ("calls", "comments", "statuses", "issues", "installs"):
            self.data.setdefault(name, [])

    def save(self) -> None:
        self.path.write_text(json.dumps(self.data, indent=1))

    def next_id(self) -> int:
        self.data["ids"] = self.data.get("ids", 1000) + 1
        return int(self.data["ids"])


def field_value(text: str, typed: bool) -> tuple[str, str]:
    name, _, value = text.partition("=")
    if typed and value.startswith("@"):
        value = Path(value[1:]).read_text(encoding="utf-8")
    return name, value


def gh(args: list[str], state: State) -> int:
    if not os.environ.get("GH_TOKEN"):
        return fail("gh needs GH_TOKEN in a workflow")
    if not args or args[0] != "api":
        return fail(f"gh {' '.join(args[:1])}: only `gh api` is stubbed")
    method, path, jq, fields = "GET", "", None, {}
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg == "--method":
            method = rest.pop(0)
        elif arg == "--jq":
            jq = rest.pop(0)
        elif arg == "--paginate":
            continue
        elif arg in ("-f", "-F"):
            name, value = field_value(rest.pop(0), arg == "-F")
            fields[name] = value
        elif not path and not arg.startswith("-"):
            path = arg
        else:
            return fail(f"gh api: unexpected argument {arg!r}")
    if not os.environ["GH_TOKEN"].startswith("ghs_"):
        return fail("gh: only a workflow's GITHUB_TOKEN (ghs_...) is stubbed")
    repo = os.environ["GITHUB_REPOSITORY"]
    state.data["calls"].append({"tool": "gh", "method": method, "path": path, "fields": fields})
    route = urlsplit(path)
    parts = route.path.split("/")
    if parts[:3] != ["repos", *repo.split("/")]:
        return fail(f"gh api: {path} is not under repos/{repo}")
    tail = parts[3:]
    result: Any
    if method == "GET" and tail[:1] == ["issues"] and len(tail) == 3 and tail[2] == "comments":
        result = [c for c in state.data["comments"] if c["issue"] == int(tail[1])]
    elif method == "POST" and tail[:1] == ["issues"] and len(tail) == 3 and tail[2] == "comments":
        result = {"id": state.next_id(), "issue": int(tail[1]), "body": fields["body"]}
        result["user"] = GITHUB_TOKEN_USER
        state.data["comments"].append(result)
    elif method == "PATCH" and tail[:2] == ["issues", "comments"] and len(tail) == 3:
        (result,) = [c for c in state.data["comments"] if c["id"] == int(tail[2])]
        if result["user"] != GITHUB_TOKEN_USER:  # GitHub: only the author may edit
            state.save()
            sys.stderr.write("gh: Resource not accessible by integration (HTTP 403)\n")
            return 1
        result["body"] = fields["body"]
        result["edits"] = result.get("edits", 0) + 1
    elif method == "POST" and tail[:1] == ["statuses"] and len(tail) == 2:
        result = {"sha": tail[1], **fields}
        state.data["statuses"].append(result)
    elif method == "GET" and tail == ["issues"]:
        query = parse_qs(route.query)
        label, wanted = query["labels"][0], query["state"][0]
        result = [i for i in state.data["issues"] if label in i["labels"] and i["state"] == wanted]
    elif method == "POST" and tail == ["issues"]:
        result = {
            "number": state.next_id(),
            "title": fields["title"],
            "body": fields["body"],
            "labels": [v for k, v in fields.items() if k == "labels[]"],
            "state": "open",
        }
        state.data["issues"].append(result)
    else:
        return fail(f"gh api --method {method} {path}: not a call the examples make")
    state.save()
    sys.stdout.write(jq_filter(jq, result) if jq else json.dumps(result) + "\n")
    return 0


SELECT = re.compile(r"\.\[\] \| select\((?P<test>.*)\) \| \.id")
TESTS: dict[re.Pattern[str], Callable[[dict[str, Any], str], bool]] = {  # joined by `and`
    re.compile(r'\(?\.body \| startswith\("(.*)"\)\)?'): lambda c, v: c["body"].startswith(v),
    re.compile(r'\.user\.login == "(.*)"'): lambda c, v: c["user"]["login"] == v,
}


def _test(part: str, comment: dict[str, Any]) -> bool:
    for pattern, test in TESTS.items():
        found = pattern.fullmatch(part)
        if found:
            return test(comment, found[1])
    raise SystemExit(fail(f"jq test {part!r} is not one the examples use"))


def jq_filter(jq: str, result: Any) -> str:
    """The filters the workflows use: comment ids by a select() of the tests above, and the
    first issue's number."""
    found = SELECT.fullmatch(jq)
    if found:
        ids = [c["id"] for c in result if all(_test(p, c) for p in found["test"].split(" and "))]
        return "".join(f"{i}\n" for i in ids)
    if jq == ".[0].number // empty":
        return f"{result[0]['number']}\n" if result else ""
    raise SystemExit(fail(f"jq filter {jq!r} is not one the examples use"))


def curl(args: list[str], state: State) -> int:
    method, url, headers, data = "GET", "", {}, {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in ("--fail", "--silent", "--show-error"):
            continue
        if arg == "--header":
            name, _, value = rest.pop(0).partition(": ")
            headers[name] = value
        elif arg == "--request":
            method = rest.pop(0)
        elif arg == "--data-urlencode":
            spec = rest.pop(0)
            name, sep, value = spec.partition("=")
            if not sep:
                name, _, file = spec.partition("@")
                value = Path(file).read_text(encoding="utf-8")
            data[name] = value
        elif not url and not arg.startswith("-"):
            url = arg
        else:
            return fail(f"curl: unexpected argument {arg!r}")
    if data and method == "GET":
        method = "POST"
    if not headers.get("PRIVATE-TOKEN"):
        return fail("curl: no PRIVATE-TOKEN header")
    if method == "GET" and url == os.environ["CI_API_V4_URL"] + "/user":
        state.data["calls"].append({"tool": "curl", "method": method, "path": "/user"})
        state.save()
        sys.stdout.write(json.dumps(GITLAB_TOKEN_USER) + "\n")
        return 0
    base = os.environ["CI_API_V4_URL"] + f"/projects/{os.environ['CI_PROJECT_ID']}/"
    if not url.startswith(base):
        return fail(f"curl {url}: not this project's API")
    route = urlsplit(url[len(base) :])
    tail = route.path.split("/")
    state.data["calls"].append({"tool": "curl", "method": method, "path": route.path, "data": data})
    result: Any
    if tail[:1] == ["merge_requests"] and len(tail) >= 3 and tail[2] == "notes":
        notes = [c for c in state.data["comments"] if c["issue"] == int(tail[1])]
        if method == "GET" and len(tail) == 3:
            result = notes
        elif method == "POST" and len(tail) == 3:
            result = {"id": state.next_id(), "issue": int(tail[1]), "body": data["body"]}
            result["author"] = GITLAB_TOKEN_USER
            state.data["comments"].append(result)
        elif method == "PUT" and len(tail) == 4:
            (result,) = [n for n in notes if n["id"] == int(tail[3])]
            if result["author"] != GITLAB_TOKEN_USER:  # not the author, not a maintainer
                state.save()
                sys.stderr.write("curl: (22) The requested URL returned error: 403\n")
                return 22
            result["body"] = data["body"]
            result["edits"] = result.get("edits", 0) + 1
        else:
            return fail(f"curl --request {method} {url}: not a call the examples make")
    elif tail == ["issues"] and method == "GET":
        query = parse_qs(route.query)
        label, wanted = query["labels"][0], query["state"][0]
        issues = state.data["issues"]
        result = [i for i in issues if label in i["labels"] and i["state"] == wanted]
    elif tail == ["issues"] and method == "POST":
        result = {
            "iid": state.next_id(),
            "title": data["title"],
            "body": data["description"],
            "labels": data["labels"].split(","),
            "state": "opened",
        }
        state.data["issues"].append(result)
    elif tail[:1] == ["issues"] and len(tail) == 3 and tail[2] == "notes" and method == "POST":
        result = {"id": state.next_id(), "issue": int(tail[1]), "body": data["body"]}
        state.data["comments"].append(result)
    else:
        return fail(f"curl --request {method} {url}: not a call the examples make")
    state.save()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


def pip(args: list[str], state: State) -> int:
    """The install step: reportgen is already installed (this checkout); the stub checks that
    the pipeline pins it to a commit."""
    if len(args) != 2 or args[0] != "install" or not PINNED.match(args[1]):
        return fail(f'pip {" ".join(args)}: expected `pip install "reportgen @ git+...@<sha>"`')
    state.data["installs"].append(args[1])
    state.save()
    return 0


def main() -> int:
    tool, args = sys.argv[1], sys.argv[2:]
    state = State()
    handlers = {"gh": gh, "curl": curl, "pip": pip}
    return handlers[tool](args, state)


if __name__ == "__main__":
    sys.exit(main())
