"""`python -m hub serve | migrate | user add | user role | token create | licence keygen | licence issue |
kubeconfig | ssh`:
running and administering a hub."""

from __future__ import annotations

import argparse
import datetime
import getpass
import re
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import migrate, support_cli
from hub.catalog import CHANNEL_NAME
from hub.db import database_url, make_engine
from hub.licences import issue_licence, make_licence_key
from hub.models import User
from hub.passwords import MIN_LENGTH, hash_password
from hub.roles import DEFAULT_ROLE, ROLES
from hub.s3 import S3Location, normal_prefix
from hub.server import ServeOptions, parse_listen, parse_panel_ports, serve
from hub.tokens import SCOPES, create_token
from hub.wsgi_server import CLIENT_TIMEOUT_S, HEAD_TIMEOUTS
from installer.errors import AirliftError
from installer.stopping import handle_stop_signals

USER_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
DURATION = re.compile(r"^(\d+)([mhd])$")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hub", description="Airlift Hub: where vendors publish bundles.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", type=Path, default=Path("hub-data"),
                        help="the hub's folder: SQLite database, blobs, certificate (default: ./hub-data)")
    common.add_argument("--database", metavar="URL",
                        help="a database instead of SQLite in --data, e.g. postgresql+psycopg://user@host/hub")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", parents=[common], help="serve the hub over HTTPS")
    s.add_argument("--listen", default="0.0.0.0:8443", metavar="ADDR:PORT", help="default 0.0.0.0:8443")
    s.add_argument("--cert", type=Path, help="a PEM certificate to serve instead of the self-signed one")
    s.add_argument("--key", type=Path, help="the key of --cert (PEM)")
    s.add_argument("--ssh-listen", metavar="ADDR:PORT",
                   help="take remote-support sessions from sites over SSH here (e.g. 0.0.0.0:2222)")
    s.add_argument("--panel-ports", metavar="A-B",
                   help="serve sites' control panels on these ports, one origin each (default: the 8 ports after "
                        "--listen's); none: no Open control panel")
    s.add_argument("--client-timeout", type=_seconds, default=CLIENT_TIMEOUT_S, metavar="S",
                   help=f"drop a client silent this long in its TLS handshake or request, or taking none of its "
                        f"answer, or whose request head takes {HEAD_TIMEOUTS} times this long in all (default {CLIENT_TIMEOUT_S:.0f})")
    _s3_arguments(s)
    sub.add_parser("migrate", parents=[common], help="bring the database to the hub's newest schema")
    user = sub.add_parser("user", help="vendor users of the catalog pages").add_subparsers(dest="action",
                                                                                           required=True)
    add = user.add_parser("add", parents=[common], help="add a user; the password is asked, or read from stdin")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default=DEFAULT_ROLE, help="default viewer: status only")
    role = user.add_parser("role", parents=[common], help="set a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    for name, what in (("kubeconfig", "print a kubeconfig to a site's Kubernetes API through its support session"),
                       ("ssh", "ssh to a site's node through its support session")):
        c = sub.add_parser(name, parents=[common], help=what)
        c.add_argument("site", help="the site id (site-…)")
        c.add_argument("--as", dest="user", required=True, metavar="USER", help="the hub user (role operator or admin)")
        if name == "ssh":
            c.add_argument("node", help="the node's name (one the site allowed: --allow ssh or ssh:NODE)")
            c.add_argument("--login", default="root", help="the user on the node (default root)")
    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", parents=[common], help="make a token and show it once")
    create.add_argument("--scope", choices=SCOPES, required=True)
    create.add_argument("--expires", metavar="DURATION", help="e.g. 30m, 12h or 90d (default: never)")
    create.add_argument("--uses", type=int, default=1, metavar="N",
                        help="enroll: how many sites it admits (default 1; 0 for any number until it expires)")
    create.add_argument("--channel", help="enroll: the channel its sites follow (default stable)")
    _licence_arguments(sub)
    return p.parse_args(argv)


def _s3_arguments(p: argparse.ArgumentParser) -> None:
    s3 = p.add_argument_group("blobs in S3", "instead of DATA/blobs; credentials from AWS_ACCESS_KEY_ID/"
                                             "AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws")
    s3.add_argument("--s3-bucket", metavar="BUCKET", help="keep the blobs in this bucket, shared by every hub process")
    s3.add_argument("--s3-prefix", default="", metavar="PREFIX", help="under this key prefix (default: none)")
    s3.add_argument("--s3-endpoint", metavar="URL", help="an S3-compatible store, e.g. http://minio:9000 "
                                                         "(default: AWS S3)")


def s3_location(args: argparse.Namespace) -> S3Location | None:
    """Where the blobs go from --s3-*, or None for DATA/blobs."""
    if not args.s3_bucket:
        if args.s3_endpoint or args.s3_prefix:
            raise AirliftError("--s3-endpoint and --s3-prefix need --s3-bucket",
                               hint="add --s3-bucket BUCKET, or leave them out to keep blobs in --data")
        return None
    return S3Location(args.s3_bucket, normal_prefix(args.s3_prefix), args.s3_endpoint)


def _licence_arguments(sub: argparse._SubParsersAction) -> None:
    licence = sub.add_parser("licence", help="the licence key, and licences signed with it").add_subparsers(
        dest="action", required=True)
    keygen = licence.add_parser("keygen", help="make the licence key pair (its .pub goes to build.py --licence-key)")
    keygen.add_argument("-o", "--out", type=Path, default=Path("hub-licence-key"), help="default ./hub-licence-key")
    issue = licence.add_parser("issue", help="sign a licence for a customer and write it to a file")
    issue.add_argument("--key", type=Path, required=True, help="the licence key's private half")
    issue.add_argument("--customer", required=True)
    issue.add_argument("--application", required=True, help="the bundle's application name")
    issue.add_argument("--max-nodes", type=int, required=True)
    issue.add_argument("--expires", type=_date, required=True, metavar="YYYY-MM-DD", help="last valid day")
    issue.add_argument("--channel")
    issue.add_argument("--features", default="", help="comma-separated")
    issue.add_argument("-o", "--out", type=Path, required=True, help="the licence file to write")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    handle_stop_signals()
    try:
        return _run(args)
    except AirliftError as e:
        print(f"error: {e.render()}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "licence":
        return _licence(args)
    url = database_url(args.data, args.database)
    if args.command == "serve":
        host, port = parse_listen(args.listen)
        ssh = parse_listen(args.ssh_listen) if args.ssh_listen else None
        serve(ServeOptions(args.data, url, host, port, args.cert, args.key, s3_location(args), ssh,
                           parse_panel_ports(args.panel_ports, port), args.client_timeout))
        return 0
    if not args.database:
        args.data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        if args.command == "migrate":
            print(f"The database is at schema {migrate.current(engine)}.")
            return 0
        with Session(engine) as db:
            if args.command == "user":
                return _add_user(db, args.name, args.role) if args.action == "add" else _set_role(db, args.name,
                                                                                                   args.role)
            if args.command in ("kubeconfig", "ssh"):
                return support_cli.run(db, args)
            return _create_token(db, args)
    finally:
        engine.dispose()


def _set_role(db: Session, name: str, role: str) -> int:
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        raise AirliftError(f"There is no user {name} on this hub", hint="python -m hub user add NAME first")
    user.role = role
    db.commit()
    print(f"User {name} is now {role}.")
    return 0


def _add_user(db: Session, name: str, role: str = DEFAULT_ROLE) -> int:
    if not USER_NAME.match(name):
        raise AirliftError(f"User name {name!r} is not allowed", hint="use letters, digits and . _ @ - (up to 100)")
    if db.scalar(select(User).where(User.name == name)) is not None:
        raise AirliftError(f"User {name} already exists on this hub", hint="choose another name")
    password = _read_password(name)
    if len(password) < MIN_LENGTH:
        raise AirliftError(f"The password for {name} is shorter than {MIN_LENGTH} characters",
                           hint="choose a longer one; nothing was saved")
    db.add(User(name=name, password_hash=hash_password(password), role=role))
    db.commit()
    print(f"User {name} added as {role}; they can sign in to the catalog pages now.")
    return 0


def _read_password(name: str) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        raise AirliftError("The two passwords differ", hint="run the command again; nothing was saved")
    return first


def _create_token(db: Session, args: argparse.Namespace) -> int:
    if args.channel and not CHANNEL_NAME.match(args.channel):
        raise AirliftError(f"--channel {args.channel!r} is not a channel name",
                           hint="use lower-case letters, digits, '.', '_' or '-'")
    if args.uses < 0:
        raise AirliftError(f"--uses {args.uses}: give a number of sites, or 0 for any number")
    made = create_token(db, args.scope, _duration(args.expires) if args.expires else None, args.uses or None,
                        args.channel)
    until = f"until {made.expires_at:%Y-%m-%d %H:%M} UTC" if made.expires_at else "with no expiry"
    admits = ""
    if args.scope == "enroll":
        admits = f" It admits {args.uses or 'any number of'} site(s) onto channel {args.channel or 'stable'}."
    print(f"A {args.scope} token, valid {until}.{admits} It is shown this once; the hub keeps only its hash:")
    print(made.token)
    return 0


def _duration(text: str) -> datetime.timedelta:
    match = DURATION.match(text)
    if match is None:
        raise AirliftError(f"--expires {text!r} is not a duration", hint="give e.g. 30m, 12h or 90d")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return datetime.timedelta(**{unit: int(match.group(1))})


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 1 to 3600")
    return seconds


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2027-12-31") from None


def _licence(args: argparse.Namespace) -> int:
    if args.action == "keygen":
        private, public, key = make_licence_key(args.out)
        print(f"Licence key {key.key_id}: private half {private} (keep it on the hub), public half {public} "
              "(give it to build.py --licence-key).")
        return 0
    if args.out.exists():
        raise AirliftError(f"{args.out} already exists", hint="choose another file name; nothing was written")
    if args.max_nodes < 1:
        raise AirliftError(f"--max-nodes {args.max_nodes}: a licence allows at least 1 node",
                           hint="give the number of nodes the customer may run; nothing was written")
    features = [f.strip() for f in args.features.split(",") if f.strip()]
    data = issue_licence(args.key, args.customer, args.application, args.max_nodes, args.expires, args.channel,
                         features)
    args.out.write_bytes(data)
    print(f"Licence for {args.customer} ({args.application}, up to {args.max_nodes} nodes, through "
          f"{args.expires}) written to {args.out}; the site applies it with ./install --licence {args.out} or "
          f"./install licence apply {args.out}.")
    return 0
