"""Startup time of the installer: exec until the wizard serves its page, and `./install --version`
frozen against from source.

    .venv/bin/python bench/startup_bench.py [BUNDLE_DIR]

Without BUNDLE_DIR it builds examples/hello (the frozen installer comes from the build cache).
The wizard counts as ready only when the access link it prints answers 200 with the app page,
as the operator's browser gets it (a TCP accept or the 401 way-in page is not enough).
`cold_wizard_ready_s` is one more start after dropping the page cache (`drop_caches` where
the kernel allows it, else every file of the bundle evicted with posix_fadvise; `cold_method`
says which), as the first start after unpacking onto a cold disk would be.
The last line is one JSON object: {"wizard_ready_s", "cold_wizard_ready_s", "version_frozen_s",
"version_source_s", ...}. Goal: the wizard answers within 1.5 s. Wall times grow with the
machine's load, so the CPU time the wizard used to start is printed too.
"""

from __future__ import annotations

import json
import os
import resource
import ssl
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from installer.statedir import StateDir  # noqa: E402
from tests.fixtures.net import free_port, listening  # noqa: E402

RUNS = 5
WIZARD_TIMEOUT_S = 30.0


def build_hello(work: Path) -> Path:
    """Build examples/hello into `work` and unpack it; returns the bundle folder."""
    subprocess.run([sys.executable, "examples/hello/images/make_images.py"], cwd=REPO, check=True)
    tar = work / "hello.tar"
    subprocess.run([sys.executable, "build.py", "examples/hello/app.yaml", "-o", str(tar), "-q",
                    "--k3s", "tests/k3s-standin/k3s", "--no-k3s-images", "--source", "oci:examples/hello/.images/oci"],
                   cwd=REPO, check=True)
    with tarfile.open(tar) as t:
        top = t.getmembers()[0].name.split("/")[0]
        t.extractall(work, filter="data")
    return work / top


def median_run_s(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Median wall time of RUNS runs of a command that must succeed."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


INSECURE = ssl.create_default_context()
INSECURE.check_hostname, INSECURE.verify_mode = False, ssl.CERT_NONE
POLL_S = 0.05  # polling faster steals CPU from the wizard starting on the same machine
APP_TITLE = b"<title>Installer</title>"  # the app page; the way-in page has a longer title


def serves_page(port: int, url_file: Path) -> bool:
    """True once the access link the wizard wrote answers 200 with the app page.

    Cheap (one refused connect) until the wizard listens. The link's token is spent by the
    one request that succeeds, as the operator's browser spends it.
    """
    if not listening(port) or not url_file.is_file():
        return False
    url = url_file.read_text().strip()
    try:
        with urllib.request.urlopen(url, timeout=5, context=INSECURE) as reply:
            return reply.status == 200 and APP_TITLE in reply.read()
    except OSError:
        return False


def wizard_ready_s(bundle: Path, state: Path) -> tuple[float, float]:
    """Seconds from exec of `./install` until its wizard serves the page, and the CPU seconds it used.

    Each start gets a fresh state folder, so it includes making the TLS certificate, as the
    operator's first start does.
    """
    port = free_port()
    url_file = StateDir(state).wizard_url
    cpu_before = children_cpu_s()
    start = time.perf_counter()
    proc = subprocess.Popen([str(bundle / "install"), "--listen", f"127.0.0.1:{port}",
                             "--state-dir", str(state)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < WIZARD_TIMEOUT_S:
            if proc.poll() is not None:
                raise SystemExit(f"the wizard exited with {proc.returncode} before serving its page")
            if serves_page(port, url_file):
                ready = time.perf_counter() - start
                break
            time.sleep(POLL_S)
        else:
            raise SystemExit(f"the wizard did not serve its page within {WIZARD_TIMEOUT_S:.0f}s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return ready, children_cpu_s() - cpu_before


def drop_page_cache(bundle: Path) -> str:
    """Empty the page cache of the bundle's files; how it was done."""
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "drop_caches"
    except OSError:
        pass
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return "fadvise"


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="airlift-startup-") as tmp:
        work = Path(tmp)
        bundle = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else build_hello(work)
        source_env = {**os.environ, "AIRLIFT_BUNDLE_DIR": str(bundle)}
        cold_method = drop_page_cache(bundle)
        cold_ready_s = wizard_ready_s(bundle, work / "state-cold")[0]
        wizard = [wizard_ready_s(bundle, work / f"state-{i}") for i in range(RUNS)]
        figures = {
            "wizard_ready_s": statistics.median(w[0] for w in wizard),
            "cold_wizard_ready_s": cold_ready_s,
            "wizard_cpu_s": statistics.median(w[1] for w in wizard),
            "version_frozen_s": median_run_s([str(bundle / "install"), "--version"], cwd=work),
            "version_source_s": median_run_s([sys.executable, "-m", "installer", "--version"],
                                             cwd=REPO, env=source_env),
            "help_frozen_s": median_run_s([str(bundle / "install"), "--help"], cwd=work),
        }
    figures = {k: round(v, 3) for k, v in figures.items()}
    print(f"wizard serving its page after {figures['wizard_ready_s']} s (goal ≤ 1.5 s), "
          f"using {figures['wizard_cpu_s']} s of CPU (median of {RUNS}; load {os.getloadavg()[0]:.1f})")
    print(f"first start with the page cache dropped ({cold_method}): {figures['cold_wizard_ready_s']} s")
    print(f"./install --version: frozen {figures['version_frozen_s']} s, "
          f"from source {figures['version_source_s']} s (median of {RUNS})")
    print(f"./install --help: frozen {figures['help_frozen_s']} s")
    print(json.dumps({**figures, "cold_method": cold_method}))


if __name__ == "__main__":
    main()
