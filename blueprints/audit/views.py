"""Audit log pages for the 审计员 (being built)."""

from flask import Blueprint
from flask_login import login_required

from models.roles import Role
from services.web import roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@login_required
@roles_required(Role.AUDITOR)
def index():
    return "审计日志"
