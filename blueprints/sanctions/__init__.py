"""/sanctions: 联合奖惩 (表29–表31, docs/sanctions.md).  The blueprint is declared here; its
routes are in catalogue.py (事项清单), lists.py (对象名单), tasks.py (任务) and public.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sanctions", __name__, url_prefix="/sanctions")
