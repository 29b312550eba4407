"""The sandbox shows views at the URLs apply prints, to a browser that signed in once.

Access is checked over real HTTP: without the key or a session cookie a page is 401; a
one-time login link sets the cookie once; the cookie opens pages and nothing else (the API
still needs the key); a login link never redirects to another site.
"""

from __future__ import annotations

import http.client
import io
import re
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reportgen.cli import run
from reportgen.cli.sandbox_views import renderer
from reportgen.sandbox import Sandbox
from reportgen.sandbox.pages import basic_token
from reportgen.sandbox.seed import log_seed

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shown() -> Iterator[tuple[Sandbox, list[str]]]:
    """A sandbox with a renderer, the seed logged and specs/ applied; the URLs apply printed."""
    with Sandbox(renderer=renderer()) as sb, pytest.MonkeyPatch.context() as patch:
        for name, value in sb.env().items():
            patch.setenv(name, value)
        log_seed(sb)
        out = io.StringIO()
        with redirect_stdout(out):
            assert run(["apply", str(REPO / "specs")]) == 0
        yield sb, re.findall(r"http://\S+", out.getvalue())


def get(
    sb: Sandbox, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=30)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    response.read_body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def names_in(body: bytes) -> list[str]:
    return re.findall(r'<td class="name">([^<]*)</td>', body.decode())


def test_every_url_apply_printed_shows_its_ranked_view(shown: tuple[Sandbox, list[str]]) -> None:
    sb, urls = shown
    assert len(urls) == 4
    auth = {"Authorization": basic_token(sb.api_key)}
    pages = {path_of(u): get(sb, path_of(u), auth) for u in urls}
    for path, response in pages.items():
        assert response.status == 200, path
        assert "script-src" not in response.getheader("Content-Security-Policy", "")
        assert response.getheader("Content-Security-Policy", "").startswith("default-src 'none'")
    by_kind = {
        ("report" if "/reports/" in p else "workspace", tuple(names_in(r.read_body)))
        for p, r in pages.items()
    }  # type: ignore[attr-defined]
    assert by_kind == {
        ("workspace", ("vit-base-patch16-v1", "resnet50-v1")),
        ("workspace", ("resnet50-v1",)),
        ("report", ("vit-base-patch16-v1", "resnet50-v1")),
        ("report", ("resnet50-v1",)),
    }
    report = next(r for p, r in pages.items() if "/reports/CIFAR-10-leaderboard--" in p)
    assert b"Ranked by accuracy (higher is better)" in report.read_body  # type: ignore[attr-defined]


def test_a_login_link_works_once_and_its_cookie_opens_pages_only(
    shown: tuple[Sandbox, list[str]],
) -> None:
    sb, urls = shown
    page = path_of(urls[0])
    assert get(sb, page).status == 401
    link = path_of(sb.login_link(page))
    first = get(sb, link)
    assert first.status == 303 and first.getheader("Location") == page
    cookie = first.getheader("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    session = {"Cookie": cookie.split(";")[0]}
    assert get(sb, page, session).status == 200
    assert get(sb, link).status == 403  # spent
    # The cookie is no API key: GraphQL and the admin endpoints still refuse it.
    assert get(sb, "/_sandbox/stats", session).status == 401
    assert get(sb, "/graphql", session, method="POST").status == 401
    assert get(sb, page, {"Cookie": "reportgen_sandbox=forged"}).status == 401


def test_login_links_stay_on_this_server_and_are_minted_with_the_key(
    shown: tuple[Sandbox, list[str]],
) -> None:
    sb, _ = shown
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = get(sb, path_of(sb.login_link(target)))
        assert response.getheader("Location") == "/"
    assert get(sb, "/_sandbox/login?next=/", method="POST").status == 401
    minted = sb.request("POST", "/_sandbox/login?next=/")
    assert minted.status == 200 and minted.json["url"].startswith(
        sb.base_url + "/_sandbox/login?token="
    )
    index = get(sb, "/", {"Authorization": basic_token(sb.api_key)})
    assert index.status == 200 and index.read_body.count(b"<li><a href=") == 4  # type: ignore[attr-defined]


def test_unknown_views_are_404_and_a_sandbox_without_renderer_has_no_pages() -> None:
    with Sandbox() as sb:
        auth = {"Authorization": basic_token(sb.api_key)}
        assert get(sb, "/sandbox/p?nw=abc", auth).status == 404  # not served at all
        with pytest.raises(RuntimeError, match="renderer"):
            sb.login_link("/")
    with Sandbox(renderer=renderer()) as sb:
        auth = {"Authorization": basic_token(sb.api_key)}
        missing = get(sb, "/sandbox/p?nw=abc", auth)
        assert missing.status == 404 and b"No view at" in missing.read_body  # type: ignore[attr-defined]
