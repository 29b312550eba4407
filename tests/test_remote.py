"""Retry policy, markers and credentials: the pieces of plan/apply that need no server."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from reportgen.problems import ReportgenError
from reportgen.remote.client import Remote, RemoteError, RetryPolicy
from reportgen.remote.identity import (
    Marker,
    parse_marker,
    user_description,
    view_name,
    view_url,
    with_marker,
)
from reportgen.remote.session import resolve_credentials


class Flaky(Exception):
    pass


def classify(exc: BaseException) -> RemoteError | None:
    if isinstance(exc, Flaky):
        return RemoteError(str(exc), retryable=str(exc) != "fatal")
    return None


def remote_failing(times: int, message: str = "busy") -> tuple[Remote, list[float], list[int]]:
    calls: list[int] = []
    slept: list[float] = []

    def transport(query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        calls.append(1)
        if len(calls) <= times:
            raise Flaky(message)
        return {"ok": True}

    policy = RetryPolicy(attempts=4, base=0.5, cap=2.0, sleep=slept.append, rng=random.Random(1))
    return Remote(transport, classify, policy), slept, calls


def test_retries_retryable_failures_with_jittered_exponential_backoff() -> None:
    remote, slept, calls = remote_failing(3)
    assert remote.execute("q", {}) == {"ok": True}
    assert len(calls) == 4 and remote.retries == 3
    caps = [0.5, 1.0, 2.0]
    assert all(0 <= s <= cap for s, cap in zip(slept, caps, strict=True))
    assert len(set(slept)) == 3  # jitter: not a fixed schedule


def test_gives_up_after_the_last_attempt() -> None:
    remote, slept, calls = remote_failing(10)
    with pytest.raises(RemoteError, match="busy"):
        remote.execute("q", {})
    assert len(calls) == 4 and len(slept) == 3


def test_does_not_retry_what_cannot_succeed() -> None:
    remote, slept, calls = remote_failing(10, "fatal")
    with pytest.raises(RemoteError):
        remote.execute("q", {})
    assert len(calls) == 1 and not slept


def test_no_retry_block_fails_at_once() -> None:
    remote, slept, calls = remote_failing(2)
    with remote.no_retry(), pytest.raises(RemoteError):
        remote.execute("q", {})
    assert len(calls) == 1 and not slept
    assert remote.execute("q", {}) == {"ok": True}  # retries again outside the block
    assert len(calls) == 3 and len(slept) == 1


def test_foreign_errors_pass_through() -> None:
    def transport(query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        Remote(transport, classify).execute("q", {})


@pytest.mark.parametrize("description", ["", "Best runs first.", "Two\n\nparagraphs."])
def test_marker_round_trips_through_a_description(description: str) -> None:
    marker = Marker("cifar10", "0123456789abcdef")
    text = with_marker(description, marker)
    assert str(marker) in text and text.endswith(str(marker))
    assert parse_marker(text) == marker
    assert user_description(text) == description


def test_marker_is_found_when_text_was_added_below_it() -> None:
    marker = Marker("a", "0123456789abcdef")
    text = with_marker("Intro.", marker) + "\nEdited in the app"
    assert parse_marker(text) == marker
    assert user_description(text) == "Intro.\n\nEdited in the app"
    assert parse_marker("managed by reportgen · key=a b · applied=0123456789abcdef") is None
    assert parse_marker("see: managed by reportgen · key=a · applied=0123456789abcdef") is None


def test_trailing_white_space_is_not_a_change() -> None:
    marker = Marker("a", "0123456789abcdef")
    block = "Two lines\nfrom a YAML block scalar\n"
    assert user_description(with_marker(block, marker)) == user_description(block)


def test_view_names_are_deterministic_and_url_safe() -> None:
    ws = view_name("e", "p", "project-view", "cifar10")
    assert ws == view_name("e", "p", "project-view", "cifar10")
    assert ws != view_name("e", "p", "project-view", "cifar100")
    assert ws.startswith("nw-") and ws.endswith("-v") and len(ws) == 16
    url = view_url("https://wandb.ai", "e", "p", "project-view", ws, "VmlldzoxMA==", "T")
    assert url == f"https://wandb.ai/e/p?nw={ws[3:-2]}"
    report = view_url("https://wandb.ai", "e", "p", "runs", "x", "VmlldzoxMA==", "My best: runs!")
    assert report == "https://wandb.ai/e/p/reports/My-best-runs--VmlldzoxMA"


def test_credentials_from_netrc(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine wandb.example.com\n  login user\n  password " + "k" * 40 + "\n")
    netrc.chmod(0o600)
    env = {
        "NETRC": str(netrc),
        "WANDB_BASE_URL": "https://wandb.example.com/",
        "WANDB_ENTITY": "team",
    }
    creds = resolve_credentials(environ=env)
    assert creds.api_key == "k" * 40 and creds.base_url == "https://wandb.example.com"
    assert creds.entity == "team" and "k" * 40 not in repr(creds)


def test_base_url_option_wins_and_is_checked(tmp_path: Path) -> None:
    env = {
        "WANDB_API_KEY": "k" * 40,
        "WANDB_BASE_URL": "http://a:1",
        "NETRC": str(tmp_path / "none"),
    }
    assert resolve_credentials("http://b:2", env).base_url == "http://b:2"
    with pytest.raises(ReportgenError, match="invalid W&B base URL"):
        resolve_credentials("localhost:8080", env)


@pytest.mark.parametrize(
    ("option", "variable", "said"),
    [
        (None, "http://", "'http://' (WANDB_BASE_URL)"),
        (None, "https:///", "'https:///' (WANDB_BASE_URL)"),
        (None, " ftp://host/ ", "' ftp://host/ ' (WANDB_BASE_URL)"),
        ("http://", "http://a:1", "'http://' (--base-url)"),
        ("http://u:pw-in-url@h:99999", None, "'http://u:***@h:99999' (--base-url)"),
    ],
)
def test_an_invalid_base_url_is_quoted_as_given(
    option: str | None,
    variable: str | None,
    said: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The URL as the user set it (not with its slashes stripped), and where it was set;
    a password in it is not shown."""
    from reportgen import cli

    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    if variable is None:
        monkeypatch.delenv("WANDB_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("WANDB_BASE_URL", variable)
    specs = str(Path(__file__).resolve().parents[1] / "specs")
    argv = ["plan", specs, *(["--base-url", option] if option else [])]
    code = cli.run(argv)
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == f"reportgen: invalid W&B base URL {said}: expected http(s)://host[:port]\n"
