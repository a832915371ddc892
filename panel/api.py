"""The panel's JSON: what each screen draws, and the day-two work it asks for (removing a node,
which the cluster controller runs; a support report and the remote-support session, which
panel.support makes and opens with the engine's functions). Each is a thin call into panel.site or panel.support; none decides anything.

Refusals come back as {error, hint, details}: 409 when the site's state refuses (another operation
runs, the controller is down, a support report is being made), 404 for an operation that is not
there.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import Blueprint, after_this_request, current_app, jsonify, request, send_file
from flask.typing import ResponseReturnValue

from installer.errors import AirliftError
from panel import charts, support
from panel.overview import nodes_view, operations_view, overview
from panel.site import Site

log = logging.getLogger("airlift.panel")
bp = Blueprint("api", __name__, url_prefix="/api")


def _site() -> Site:
    site: Site = current_app.config["SITE"]
    return site


@bp.errorhandler(AirliftError)
def refused(error: AirliftError) -> ResponseReturnValue:
    log.info("%s refused: %s", request.endpoint, error.message)
    body = {"error": error.message, "hint": error.hint, "details": error.details}
    return jsonify(body), 404 if request.endpoint == "api.operation" else 409


@bp.get("/overview")
def overview_data() -> ResponseReturnValue:
    return jsonify(overview(_site(), charts.alerts(_site())))


@bp.get("/nodes")
def nodes() -> ResponseReturnValue:
    return jsonify(nodes_view(_site()))


@bp.post("/nodes/<name>/remove")
def remove(name: str) -> ResponseReturnValue:
    body = request.get_json(silent=True) or {}
    force = body.get("force") is True
    op_id = _site().remove_node(name, force)
    log.info("removal of node %s%s asked from %s: operation %s", name, " (forced)" if force else "",
             request.remote_addr, op_id)
    return jsonify(id=op_id)


@bp.get("/operations")
def operations() -> ResponseReturnValue:
    return jsonify(operations=operations_view(_site()))


@bp.get("/operations/<op_id>")
def operation(op_id: str) -> ResponseReturnValue:
    """One operation's events after `after` (its whole log for 0)."""
    after = request.args.get("after", "0")
    events = _site().operation_events(op_id, int(after) if after.isdigit() else 0)
    return jsonify(events=[e.to_dict() for e in events])


@bp.get("/nodes/<name>/charts")
def node_charts(name: str) -> ResponseReturnValue:
    return jsonify(charts.node_charts(_site(), name))


@bp.get("/support/report")
def support_report() -> ResponseReturnValue:
    """A report made on the spot, sent as a download; its folder is removed once sent."""
    folder = Path(tempfile.mkdtemp(prefix="airlift-panel-report-"))

    @after_this_request
    def _clean(response):  # type: ignore[no-untyped-def]
        support.discard(folder)
        return response

    report = support.produce_report(_site(), folder)
    log.info("support report %s made for %s", report.name, request.remote_addr)
    return send_file(report, as_attachment=True, download_name=report.name, mimetype="application/gzip")


@bp.get("/support/session")
def support_session() -> ResponseReturnValue:
    return jsonify(support.session(_site()))


@bp.post("/support/open")
def support_open() -> ResponseReturnValue:
    body = request.get_json(silent=True) or {}
    allow, ttl = str(body.get("allow") or "panel"), str(body.get("ttl") or "4h")
    opened = support.open_session(_site(), allow, ttl, f"the control panel ({request.remote_addr})")
    log.info("support session opened for %s (%s) from %s", allow, ttl, request.remote_addr)
    return jsonify(opened)


@bp.post("/support/close")
def support_close() -> ResponseReturnValue:
    closed = support.close_session(_site(), f"the control panel ({request.remote_addr})")
    log.info("support session closed from %s", request.remote_addr)
    return jsonify(closed)
