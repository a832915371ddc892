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

from installer.errors import AirliftError

log = logging.getLogger("airlift.wizard")
bp = Blueprint("api", __name__, url_prefix="/api")


def _engine() -> Any:
    return current_app.extensions["airlift.engine"]


def plain(value: Any) -> Any:
    """A JSON-able form of engine results (dataclasses such as CheckResult and Problem)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def refused(error: AirliftError, status: int = 409) -> ResponseReturnValue:
    """An engine refusal, in the operator's words, with what to do next."""
    problems = getattr(error, "problems", None)
    body = {"error": error.message, "hint": error.hint, "details": error.details,
            "problems": plain(problems) if problems else []}
    return jsonify(body), status


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
    try:
        engine.set_answers({**current, **changes})
    except AirliftError as error:
        return refused(error, 422)
    return jsonify(engine.snapshot())


@bp.post("/checks")
def checks() -> ResponseReturnValue:
    try:
        results = _engine().run_checks()
    except AirliftError as error:
        return refused(error)
    return jsonify(results=plain(results))


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
    try:
        getattr(engine, action)(background=True)
    except AirliftError as error:
        log.info("%s refused: %s", action, error.message)
        return refused(error)
    log.info("%s requested from %s", action, request.remote_addr)
    return jsonify(engine.snapshot())
