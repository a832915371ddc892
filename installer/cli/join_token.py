"""The join token kept out of process listings: /proc/PID/cmdline is readable by every user of
the host, the environment only by the process's owner and root.

`./install join ADDR --token T` is what the operator types, so it keeps working: the command
re-executes itself at once without `--token T`, handing the token over in AIRLIFT_JOIN_TOKEN,
and the long-lived agent never shows it. `--token-file FILE` (used over SSH) and the variable
never put it on a command line at all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

from installer.errors import AirliftError

TOKEN_ENV = "AIRLIFT_JOIN_TOKEN"


def argv_without_token(argv: list[str], token: str) -> list[str]:
    """`argv` (the arguments after the program) minus `--token T` and `--token=T` (argparse
    takes no abbreviation of --token: --token-file makes every prefix ambiguous)."""
    out: list[str] = []
    rest = iter(argv)
    for arg in rest:
        if arg == "--token":
            next(rest, None)
        elif arg != f"--token={token}":
            out.append(arg)
    return out


def reexec_hiding_token(argv: list[str], token: str) -> NoReturn:
    """Replace this process by the same command without the token on its command line (the
    frozen installer runs itself, a source checkout `python -m installer`)."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "installer"]
    os.execve(sys.executable, [*program, *argv_without_token(argv, token)], {**os.environ, TOKEN_ENV: token})


def join_token(token_file: str | None) -> str:
    """The token from `--token-file`, else from AIRLIFT_JOIN_TOKEN (taken out of the environment,
    so the processes the agent starts do not inherit it)."""
    from_env = os.environ.pop(TOKEN_ENV, "").strip()
    if token_file:
        return _read(Path(token_file))
    if from_env:
        return from_env
    raise AirliftError("No join token was given",
                       hint=f"pass --token, --token-file FILE or set {TOKEN_ENV} "
                            "(the installer prints the join command with its token)")


def _read(path: Path) -> str:
    try:
        token = path.read_text().strip()
    except OSError as exc:
        raise AirliftError(f"Cannot read the join token file {path}: {exc.strerror}",
                           hint="give the path of the file that holds the join token") from exc
    if not token:
        raise AirliftError(f"The join token file {path} is empty",
                           hint="write the token the installer printed into it")
    return token
