"""Pages as a person sees them: headless Chromium opens the HTML preview and a sandbox view
page, the run names appear in rank order in the DOM, and the screenshots are not blank.

Chromium is Debian's `chromium` package (`.ci/run` installs it). Without it the test fails
in CI (a skipped browser test there would be a hole) and skips elsewhere, saying how to get
it. `REPORTGEN_UPDATE_SCREENSHOT=1` writes the preview's screenshot to docs/preview.png,
which the README shows.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from reportgen.cli import run
from reportgen.cli.sandbox_views import renderer
from reportgen.sandbox import Sandbox
from reportgen.sandbox.seed import log_seed

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = REPO / "docs" / "preview.png"
VIT, RESNET = "vit-base-patch16-v1", "resnet50-v1"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1280,1100",
)  # fmt: skip

UseSandbox = Callable[[Sandbox], None]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = (
        "headless Chromium is needed: install Debian's package with "
        "`apt-get update && apt-get install -y chromium` (.ci/run does this)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def browse(chromium: str, url: str, tmp_path: Path, *, screenshot: Path | None = None) -> str:
    """The DOM Chromium builds for `url` (or, with `screenshot`, a PNG of it)."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    action = [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *action, url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def names(dom: str) -> list[str]:
    return re.findall(r'<td class="name">([^<]*)</td>', dom)


def assert_not_blank(png: Path) -> None:
    image = Image.open(png).convert("RGB")
    total = image.size[0] * image.size[1]
    counts = image.getcolors(maxcolors=total) or []
    background = max(count for count, _ in counts)
    drawn, colors = 1 - background / total, len(counts)
    assert image.size == (1280, 1100)
    assert drawn > 0.03 and colors > 50, f"blank screenshot: {drawn:.1%} drawn, {colors} colours"


def test_html_preview_in_chromium(
    chromium: str, seeded_sandbox: Sandbox, use_sandbox: UseSandbox, tmp_path: Path
) -> None:
    use_sandbox(seeded_sandbox)
    page = tmp_path / "preview.html"
    assert run(["preview", str(REPO / "specs"), "-f", "html", "-o", str(page)]) == 0
    dom = browse(chromium, page.as_uri(), tmp_path)
    assert names(dom) == [VIT, RESNET, RESNET]  # the leaderboard, then its ResNet50 variant
    assert dom.count("<svg") == 4  # accuracy and loss, for each
    shot = tmp_path / "preview.png"
    browse(chromium, page.as_uri(), tmp_path, screenshot=shot)
    assert_not_blank(shot)
    if os.environ.get("REPORTGEN_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_sandbox_view_page_in_chromium(chromium: str, tmp_path: Path) -> None:
    with Sandbox(renderer=renderer()) as sb, pytest.MonkeyPatch.context() as patch:
        for name, value in sb.env().items():
            patch.setenv(name, value)
        log_seed(sb)
        assert run(["apply", str(REPO / "specs"), "--target", "cifar10"]) == 0
        listed = sb.graphql(
            'query($e: String!, $p: String!) { project(name: $p, entityName: $e) { allViews(viewType: "project-view") { edges { node { name } } } } }',
            {"e": sb.entity, "p": "image-classification-leaderboard"},
        ).json["data"]["project"]["allViews"]["edges"]
        nw = listed[0]["node"]["name"].removeprefix("nw-").removesuffix("-v")
        page = f"/{sb.entity}/image-classification-leaderboard?nw={nw}"
        dom = browse(chromium, sb.login_link(page), tmp_path)  # signs in, then the page
        assert names(dom) == [VIT, RESNET]
        assert "CIFAR-10 leaderboard" in dom
        shot = tmp_path / "sandbox.png"
        browse(chromium, sb.login_link(page), tmp_path, screenshot=shot)
        assert_not_blank(shot)
        # Without the login link, the browser gets the sign-in page, not the view.
        denied = browse(chromium, f"{sb.base_url}{page}", tmp_path)
        assert names(denied) == [] and "Sign in first" in denied
        assert urlsplit(sb.base_url).hostname == "127.0.0.1"


def test_a_blank_screenshot_is_caught(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (1280, 1100), "white").save(blank)
    with pytest.raises(AssertionError, match="blank screenshot"):
        assert_not_blank(blank)


def _declared() -> set[str]:
    """Distributions pyproject.toml names, dependencies and extras, as installed (make
    reinstalls when pyproject.toml changes)."""
    wanted = importlib.metadata.requires("reportgen") or []
    names = (re.match(r"[A-Za-z0-9._-]+", r) for r in wanted)
    return {re.sub(r"[-_.]+", "-", m.group()).lower() for m in names if m}


def test_the_modules_the_tests_import_are_declared() -> None:
    """CI is a fresh clone: a module that only arrives with another package (PIL with
    matplotlib) must still be named in pyproject.toml, in its test extras."""
    provided = importlib.metadata.packages_distributions()
    imported: set[str] = set()
    for path in (REPO / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.partition(".")[0])
    declared = _declared()
    undeclared = {
        module: dists
        for module in imported - set(sys.stdlib_module_names) - {"reportgen"}
        if (dists := provided.get(module))  # None: the tests' own helper modules
        and not {re.sub(r"[-_.]+", "-", d).lower() for d in dists} & declared
    }
    assert undeclared == {}
