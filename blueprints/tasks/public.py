"""/public/draws: anyone may re-run a draw (docs/draws.md), without signing in.

A blueprint nested in ``public`` (its endpoints are ``public.draws.*``, which the gatekeeper
lets through).  A draw's page is shown when its task's plan is published and its scheme is
not sensitive; otherwise 404, as for a draw that does not exist.

- /public/draws/<id>: how the draw works, the population's size, the commitments, the drawn
  objects in key order (names and codes — no seed, stratum, grade or quota: docs/draws.md) and
  重新计算, the draw re-run by the platform from its stored record;
- /public/draws/<id>.json: the same record (services/draw_disclosure.public_record);
- /public/draws/draw_algorithm.py: infrastructure/draw_algorithm.py, verbatim, to run on the full
  record that 审计员 and the task's departments download from /tasks/draws/<id>/record.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, abort, render_template

from infrastructure import draw_algorithm
from models import Draw, db
from services import draw_disclosure as disclosure
from services import object_draws as draws

bp = Blueprint("draws", __name__, url_prefix="/draws")

SCRIPT = Path(draw_algorithm.__file__)


def _public_or_404(draw_id: int) -> Draw:
    draw = db.session.get(Draw, draw_id)
    if draw is None or not draws.is_public(draw):
        abort(404)
    return draw


@bp.route("/<int:draw_id>")
def show(draw_id: int):
    draw = _public_or_404(draw_id)
    record = disclosure.public_record(draw)
    keys = record["drawn_keys"]  # in key order: rank order would sort the high-ratio strata last
    names = draws.describe_keys(keys)
    objects = [names.get(k, ("", "", "")) + (k,) for k in keys]
    result = draws.verify_draw(draw)
    return render_template("public/draw.html", draw=draw, record=record, objects=objects, result=result,
                           task=draw.task)


@bp.route("/<int:draw_id>.json")
def record(draw_id: int):
    draw = _public_or_404(draw_id)
    body = json.dumps(disclosure.public_record(draw), ensure_ascii=False)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=draw-{draw.id}.json"})


@bp.route("/draw_algorithm.py")
def script():
    return Response(SCRIPT.read_bytes(), mimetype="text/x-python",
                    headers={"Content-Disposition": "attachment; filename=draw_algorithm.py"})
