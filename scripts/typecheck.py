#!/usr/bin/env python3
"""`make lint`'s type check: mypy on installer/, wizard/, hub/ and packaging/airlift_build, held to a
baseline that may only shrink.

    .venv/bin/python scripts/typecheck.py             # fail on any error not in the baseline
    .venv/bin/python scripts/typecheck.py --update    # drop the baseline entries that are fixed

The settings are pyproject.toml's [tool.mypy]. The baseline (.mypy-baseline.txt) lists the errors
still accepted, one `path: error-code: message` a line, without line numbers, so an edit elsewhere
in a file does not churn it. An error not in it fails the check: fix it. A baseline entry that
mypy no longer reports fails it too, so that a fix is recorded (run --update) and the same error
cannot come back unnoticed. When a file with accepted errors is moved, its entries reappear under
the new path: `--update --accept-new` records them, and the diff shows what was accepted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / ".mypy-baseline.txt"
HEADER = ("# Type errors still accepted by scripts/typecheck.py (`path: error-code: message`).\n"
          "# It may only shrink: fix an error, then run scripts/typecheck.py --update.\n")


def run_mypy() -> list[dict]:
    """mypy's errors as JSON records (file, line, code, message); notes are left out."""
    done = subprocess.run([sys.executable, "-m", "mypy", "--output", "json", "--no-error-summary"],
                          cwd=REPO, capture_output=True, text=True)
    if done.returncode not in (0, 1) or (done.returncode == 1 and not done.stdout.strip()):
        sys.exit(f"mypy could not check the tree (exit {done.returncode}):\n{done.stderr or done.stdout}")
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [r for r in records if r.get("severity") == "error"]


def entry(record: dict) -> str:
    return f"{record['file']}: {record.get('code') or 'misc'}: {record['message']}"


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    lines = BASELINE.read_text().splitlines()
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def write_baseline(entries: Counter[str]) -> None:
    BASELINE.write_text(HEADER + "".join(f"{e}\n" for e in sorted(entries.elements())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="mypy held to a baseline that may only shrink")
    parser.add_argument("--update", action="store_true", help="drop the baseline entries that are fixed")
    parser.add_argument("--accept-new", action="store_true",
                        help="with --update: also record the new errors (only for a moved file)")
    args = parser.parse_args(argv)
    records = run_mypy()
    current = Counter(entry(r) for r in records)
    baseline = read_baseline()
    if args.update:
        kept = current if args.accept_new else current & baseline
        print(f"{BASELINE.name}: {kept.total()} entries, was {baseline.total()}")
        write_baseline(kept)
        baseline = kept
    new, gone = current - baseline, baseline - current
    report_new(records, new)
    for fixed in sorted(gone.elements()):
        print(f"FIXED but still in {BASELINE.name}: {fixed}")
    if new:
        print("Fix each NEW type error above; the baseline only takes errors away. (When a file with "
              "accepted errors was moved, `scripts/typecheck.py --update --accept-new` records them "
              "under its new path.)")
    if gone:
        print("Run `.venv/bin/python scripts/typecheck.py --update` so the baseline shrinks, and commit it.")
    if new or gone:
        return 1
    print(f"Type check passed ({current.total()} accepted errors left in {BASELINE.name}).")
    return 0


def report_new(records: list[dict], new: Counter[str]) -> None:
    """Each new error with its line, so it can be found (the baseline itself has no lines)."""
    left = Counter(new)
    for record in records:
        if left[entry(record)] > 0:
            left[entry(record)] -= 1
            print(f"NEW type error {record['file']}:{record['line']}: {record['message']}  "
                  f"[{record.get('code')}]")


if __name__ == "__main__":
    sys.exit(main())
