"""The wizard's JSON actions. Each one is a thin call into the engine; none decides anything.

Actions are POSTs with a JSON body: a browser cannot send that to another site without a CORS
preflight, and the session cookie is SameSite=Strict, so another page cannot drive the install.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from installer.engine_api import EngineAPI
from installer.errors import AirliftError
from installer.ssh.secrets import ASK
from installer.ssh.session import PassphraseRequired

log = logging.getLogger("airlift.wizard")
bp = Blueprint("api", __name__, url_prefix="/api")


def _engine() -> EngineAPI:
    engine: EngineAPI = current_app.extensions["airlift.engine"]
    return engine


def plain(value: Any) -> Any:
    """A JSON-able form of engine results (dataclasses such as CheckResult and Problem)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


# Refusals of what the request sent (answers, an SSH host) are 422; refusals because of the
# install's state (already running, nothing to resume, an install already there) are 409.
UNPROCESSABLE = {"api.answers", "api.licence", "api.ssh_inspect", "api.ssh_add", "api.panel_password"}


@bp.errorhandler(AirliftError)
def refused(error: AirliftError) -> ResponseReturnValue:
    """Every engine refusal, in the operator's words, with what to do next.

    Body: {error, hint, details, problems: [{path, message}]}, plus need: "passphrase" when an SSH
    key needs its passphrase (the page then shows the passphrase field).
    """
    log.info("%s refused: %s", request.endpoint, error.message)
    problems = getattr(error, "problems", None)
    body: dict[str, Any] = {"error": error.message, "hint": error.hint, "details": error.details,
                            "problems": plain(problems) if problems else []}
    if isinstance(error, PassphraseRequired):
        body["need"] = "passphrase"
    return jsonify(body), 422 if request.endpoint in UNPROCESSABLE else 409


@bp.before_request
def json_only() -> ResponseReturnValue | None:
    if request.method == "POST" and not request.is_json:
        return jsonify(error="Actions must be sent as JSON."), 415
    return None


@bp.get("/snapshot")
def snapshot() -> ResponseReturnValue:
    return jsonify(_engine().snapshot())


@bp.post("/answers")
def answers() -> ResponseReturnValue:
    """Change some answers: the rest stay as the engine has them; the engine validates all."""
    changes = request.get_json(silent=True)
    if not isinstance(changes, dict):
        return jsonify(error="The answers must be a JSON object."), 400
    engine = _engine()
    current = engine.snapshot().get("answers") or {}
    engine.set_answers({**current, **changes})
    return jsonify(engine.snapshot())


@bp.post("/licence")
def licence() -> ResponseReturnValue:
    """Check the licence file's text the operator chose or pasted; the engine keeps it for the
    install or says why it refuses it (forged, another application, expired, too few nodes)."""
    body = request.get_json(silent=True)
    text = body.get("licence") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return jsonify(error="The licence must be the text of the licence file."), 400
    engine = _engine()
    engine.set_licence(text.encode(), "The licence file you gave")
    return jsonify(engine.snapshot())


@bp.post("/panel-password")
def panel_password() -> ResponseReturnValue:
    """The control panel's admin password, chosen on the settings screen: the engine keeps only its
    hash; it is never sent back (the snapshot says only whether one is set)."""
    body = request.get_json(silent=True)
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(password, str):
        return jsonify(error="The password must be text."), 400
    _engine().set_panel_password(password)
    log.info("control panel password chosen from %s", request.remote_addr)
    return jsonify(_engine().snapshot())


@bp.post("/checks")
def checks() -> ResponseReturnValue:
    return jsonify(results=plain(_engine().run_checks()))


@bp.post("/start")
def start() -> ResponseReturnValue:
    """Start the install; a second start (double click, second browser) is refused by the engine."""
    return _run("start")


@bp.post("/resume")
def resume() -> ResponseReturnValue:
    """Continue the plan after a fixed failure or an interrupted run."""
    return _run("resume")


def _run(action: str) -> ResponseReturnValue:
    engine = _engine()
    launch = engine.start if action == "start" else engine.resume
    launch(background=True)
    log.info("%s requested from %s", action, request.remote_addr)
    return jsonify(engine.snapshot())


@bp.post("/ssh/inspect")
def ssh_inspect() -> ResponseReturnValue:
    """The host key an SSH host shows (and whether it is new), for the operator to confirm."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="The host must be a JSON object."), 400
    return jsonify(_engine().inspect_ssh_node(ssh_spec(body)))


@bp.post("/ssh/add")
def ssh_add() -> ResponseReturnValue:
    """Reach an SSH host now with its password or key passphrase; the engine keeps the secret in
    memory only and reports the host's progress as node events."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="The host must be a JSON object."), 400
    if not body.get("fingerprint"):
        return jsonify(error="The host key was not confirmed.", hint="Check the host key first, then trust it."), 422
    secret = body.get("password") if body.get("auth") == "password" else body.get("passphrase")
    if secret is not None and not isinstance(secret, str):
        return jsonify(error="The password or passphrase must be text."), 400
    _engine().add_ssh_node(ssh_spec(body), secret or None, body["fingerprint"])
    log.info("SSH host %s added from %s", body.get("address"), request.remote_addr)
    return jsonify(_engine().snapshot())


def ssh_spec(body: dict) -> dict:
    """The answers `nodes` entry the form describes: the key file's path, or `password: ask` (the
    password itself never goes into the answers)."""
    spec = {k: body[k] for k in ("address", "user", "port", "role") if body.get(k) not in (None, "")}
    if body.get("auth") == "password":
        spec["password"] = ASK
    elif body.get("key"):
        spec["key"] = body["key"]
    return spec
