"""Browser fixtures: Debian's Chromium driven by Playwright, and `./install` (the real engine, from
source) in wizard mode on the examples/hello bundle, with a test root, state dir and free ports.

Every page records the requests it makes; a request to any other host fails the test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.fixtures.net import free_port
from tests.fixtures.processes import stop_process

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts" / "wizard"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


class Installer:
    """`./install --listen 127.0.0.1:PORT` as a real process; `--root` and `--state-dir` in tmp."""

    def __init__(self, bundle_dir: Path, tmp: Path) -> None:
        self.bundle_dir, self.root, self.state_dir = bundle_dir, tmp / "root", tmp / "state"
        self.root.mkdir(exist_ok=True)
        self.registry_port, self.api_port, self.port = free_port(), free_port(), free_port()
        self.answers = tmp / "answers.yaml"
        self.answers.write_text(yaml.safe_dump({"advertise-addr": "127.0.0.1", "registry-port": self.registry_port,
                                                "api-port": self.api_port, "agent-port": free_port(),
                                                "panel-port": free_port(), "exporter-port": free_port(),
                                                "monitoring-port": free_port(), "alertmanager-port": free_port(),
                                                "registry-metrics-port": free_port(),
                                                # other tests' k3s stand-ins (lab nodes, netns sites)
                                                # are processes of this machine too
                                                "skip-checks": ["process-k3s"]}))
        self.env: dict[str, str] = {}  # extra environment, e.g. the k3s stand-in's knobs
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "wizard", *args, "--root", str(self.root), "--state-dir", str(self.state_dir)]

    def start(self) -> str:
        """Start the wizard; return the access link it prints."""
        env = {**os.environ, "AIRLIFT_BUNDLE_DIR": str(self.bundle_dir), "PYTHONPATH": str(REPO), **self.env}
        self.proc = subprocess.Popen(self.command("--listen", f"127.0.0.1:{self.port}", "--config", str(self.answers)),
                                     cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if "Press Ctrl-C" in line:
                return re.search(r"https://\S+\?token=\S+", "".join(self.output)).group(0)
        raise AssertionError("the wizard did not start:\n" + "".join(self.output))

    def fresh_link(self) -> str:
        """The link for one more browser, as the state directory holds it."""
        return (self.state_dir / "wizard" / "url").read_text().strip()

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Stop the wizard with `sig` (SIGKILL after a while: see tests/fixtures/processes.py)."""
        if self.proc is None:
            return ""
        proc, self.proc = self.proc, None
        return stop_process(proc, sig)

    def uninstall(self) -> None:
        subprocess.run(self.command("uninstall", "--yes"), cwd=REPO, capture_output=True, timeout=180,
                       env={**os.environ, "AIRLIFT_BUNDLE_DIR": str(self.bundle_dir), "PYTHONPATH": str(REPO)})


class Pages:
    """Browser contexts for one test; each records every request its pages make."""

    def __init__(self, chromium, test_name: str, artifacts: Path = ARTIFACTS) -> None:
        self.chromium, self.test_name, self.artifacts = chromium, test_name, artifacts
        self.contexts: list = []
        self.requests: list[str] = []
        self.errors: list[str] = []

    def open(self, url: str, width: int = 1280, height: int = 800):
        context = self.chromium.new_context(ignore_https_errors=True, viewport={"width": width, "height": height})
        context.on("request", lambda request: self.requests.append(request.url))
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("websocket", lambda ws: self.requests.append(ws.url))  # not reported as requests
        page.goto(url)
        return page

    def off_host(self, *allowed: str) -> list[str]:
        return [u for u in self.requests if urlsplit(u).netloc not in allowed and not u.startswith(("data:", "about:"))]

    def shot(self, page, name: str) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(self.artifacts / f"{self.test_name}-{name}.png"), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def launch_chromium(browser_type, *extra_args: str):  # type: ignore[no-untyped-def]
    """Debian's Chromium (playwright's own cannot be downloaded here) with the tests' flags."""
    return browser_type.launch(executable_path="/usr/bin/chromium", args=[*CHROMIUM_ARGS, *extra_args])


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import expect, sync_playwright

    # The machine is shared and small: give each step time to land under load.
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright.chromium)
        yield browser
        browser.close()


@pytest.fixture
def wizard_bundle(hello_bundle_dir):
    """The bundle `installer` serves: examples/hello; a module overrides this to serve another."""
    return hello_bundle_dir


@pytest.fixture
def installer(wizard_bundle, tmp_path):
    inst = Installer(wizard_bundle, tmp_path)
    yield inst
    inst.stop()
    inst.uninstall()


@pytest.fixture
def pages(chromium, installer, request):
    """Pages for this test; fails it if any page asked another host for anything or threw."""
    book = Pages(chromium, request.node.name)
    yield book
    book.close()
    assert book.off_host(f"127.0.0.1:{installer.port}") == []
    assert book.errors == []


@pytest.fixture
def hub_pages(chromium, hub_site, request):  # type: ignore[no-untyped-def]
    """Pages of the module's `hub_site` (tests/browser/hub_site.py), screenshots under artifacts/hub;
    nothing may be fetched from another host, and no page may log an error."""
    book = Pages(chromium, request.node.name, REPO / "tests" / "artifacts" / "hub")
    yield book
    book.close()
    assert book.off_host(f"127.0.0.1:{hub_site.port}") == []
    assert book.errors == []
