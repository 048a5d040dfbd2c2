"""Administration: departments, users, roles (being built)."""

from flask import Blueprint
from flask_login import login_required

from models.roles import Role
from services.web import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/departments")
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def departments():
    return "部门管理"


@bp.route("/users")
@login_required
@roles_required(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)
def users():
    return "用户管理"


@bp.route("/roles")
@login_required
@roles_required(Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)
def roles():
    return "角色管理"
