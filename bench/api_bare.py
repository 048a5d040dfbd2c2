"""The bare baseline of bench/api.py: a Flask app with one route that reads the same entity row
by its code with one Core query of the same columns and commits, nothing else (no token, no
rate limit, no scope, no audit row).  Run by gunicorn as ``bench.api_bare:create()`` with the
database in BARE_DATABASE_URL, and in process by bench/api.py for the CPU per request.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask, Response
from sqlalchemy import create_engine, text

SQL = text(
    "SELECT id, name, uscc, reg_no, entity_type, status, domicile, business_address, legal_rep "
    "FROM market_entity WHERE uscc = :code"
)


def create(url: str | None = None) -> Flask:
    url = (url or os.environ["BARE_DATABASE_URL"]).replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url, pool_size=5, max_overflow=10)
    app = Flask(__name__)

    @app.route("/bare/entities/<code>")
    def entity(code: str) -> Any:
        with engine.connect() as conn:
            row = conn.execute(SQL, {"code": code}).mappings().first()
            conn.commit()
        if row is None:
            return Response("{}", 404, mimetype="application/json")
        return Response(json.dumps(dict(row), ensure_ascii=False, default=str), mimetype="application/json")

    return app
