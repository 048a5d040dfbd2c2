"""/admin: 部门管理, 用户管理, 角色管理 and 用户批量导入.

Views load (404 outside the admin's subtree), authorize, call a service and commit once; the
rules themselves are in services/departments.py and services/users.py.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from flask_wtf import FlaskForm

from blueprints.admin.forms import DepartmentForm, UserEditForm, UserForm, department_select
from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import is_htmx, render_block, roles_required, wants_fragment
from infrastructure.errors import Invalid
from models import Department, User, db, utcnow
from models.org import DepartmentKind, DepartmentLevel, UserStatus
from models.roles import ADMIN_ROLES, Role
from services import departments as dept_svc
from services import record_pdf
from services import users as user_svc

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMINS = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)
ROLE_ORDER = list(Role)


def _attach(form: FlaskForm, exc: Invalid) -> None:
    """Show a service's message under the form field it concerns (or as a flash)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


# ------------------------------------------------------------------ departments


def _departments_page(status: int = 200) -> tuple[str, int]:
    me = current_actor()
    rows = dept_svc.department_tree(me)
    editable = {r.department.id for r in rows if dept_svc.can_edit_department(me, r.department)}
    return render_template("admin/departments.html", rows=rows, editable=editable,
                           base_url_warning=record_pdf.base_url_warning()), status


@bp.route("/departments")
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def departments():
    return _departments_page()


@bp.route("/departments/<int:parent_id>/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def department_new(parent_id: int):
    parent = get_visible_or_404(Department, parent_id)
    if not parent.active:
        raise Invalid("上级部门已停用，不能新增下级部门")
    form = DepartmentForm()
    levels = dept_svc.allowed_child_levels(parent.level)
    form.limit_levels(levels)
    if request.method == "GET":
        form.region_code.data = parent.region_code
        form.kind.data = DepartmentKind.SUPERVISION.value
        form.level.data = levels[0].value if levels else ""
    status = 200
    if form.validate_on_submit():
        try:
            department = dept_svc.create_department(
                current_actor(),
                parent,
                name=form.name.data,
                level=DepartmentLevel(form.level.data),
                kind=DepartmentKind(form.kind.data),
                region_code=form.region_code.data,
                sort_order=form.sort_order.data or 0,
            )
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(f"已新增部门“{department.name}”", "success")
            return redirect(url_for("admin.departments"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/department_form.html", form=form, parent=parent, department=None), status


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def department_edit(department_id: int):
    department = get_visible_or_404(Department, department_id)
    if not dept_svc.can_edit_department(current_actor(), department):
        abort(403, "本级部门由上级管理员维护，您只能修改下级部门")
    parent = department.parent
    form = DepartmentForm(obj=department)
    if parent is not None:
        form.limit_levels(dept_svc.allowed_child_levels(parent.level))
    status = 200
    if form.validate_on_submit():
        try:
            dept_svc.update_department(
                current_actor(),
                department,
                name=form.name.data,
                level=DepartmentLevel(form.level.data),
                kind=DepartmentKind(form.kind.data),
                region_code=form.region_code.data,
                sort_order=form.sort_order.data or 0,
            )
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(f"已保存部门“{department.name}”", "success")
            return redirect(url_for("admin.departments"))
    elif request.method == "POST":
        status = 400
    return (
        render_template("admin/department_form.html", form=form, parent=parent, department=department),
        status,
    )


@bp.route("/departments/<int:department_id>/status", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def department_status(department_id: int):
    department = get_visible_or_404(Department, department_id)
    if not dept_svc.can_edit_department(current_actor(), department):
        abort(403, "本级部门由上级管理员维护，您只能停用或启用下级部门")
    active = request.form.get("active") == "1"
    try:
        dept_svc.set_department_active(current_actor(), department, active)
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _departments_page(400)
    db.session.commit()
    flash(f"已{'启用' if active else '停用'}部门“{department.name}”", "success")
    return redirect(url_for("admin.departments"))


# ------------------------------------------------------------------ users


@bp.route("/users")
@login_required
@roles_required(*ADMINS)
def users():
    me = current_actor()
    filters = user_svc.parse_filters(me, request.args)
    page = db.paginate(user_svc.search_users(me, filters), per_page=20, error_out=False)
    context = {
        "page": page,
        "filters": filters,
        "args": filters.as_args(),
        "departments": dept_svc.department_choices(me, active_only=False),
        "roles": ROLE_ORDER,
        "statuses": list(UserStatus),
        "can_create": user_svc.is_user_admin(me),
        "base_url_warning": record_pdf.base_url_warning(),
    }
    if wants_fragment():
        return render_block("admin/users.html", "rows", **context)
    return render_template("admin/users.html", **context)


def _detail_page(user: User, *, revealed: bool = False, status: int = 200) -> tuple[str, int]:
    me = current_actor()
    grantable = user_svc.grantable_to(me, user)
    held = user.role_codes
    admin_held = held & {str(r) for r in ADMIN_ROLES}
    to_grant = [
        r
        for r in ROLE_ORDER
        if r in grantable and r.value not in held and not (r in ADMIN_ROLES and admin_held)
    ]
    return (
        render_template(
            "admin/user_detail.html",
            user=user,
            revealed=revealed,
            refusal=user_svc.manage_refusal(me, user),
            can_manage=user_svc.can_manage(me, user),
            is_user_admin=user_svc.is_user_admin(me),
            is_role_admin=user_svc.is_role_admin(me),
            held_roles=[r for r in ROLE_ORDER if r.value in held],
            revocable={r.value for r in grantable},
            to_grant=to_grant,
            locked=bool(user.locked_until and user.locked_until > utcnow()),
        ),
        status,
    )


@bp.route("/users/<int:user_id>")
@login_required
@roles_required(*ADMINS)
def user_detail(user_id: int):
    return _detail_page(get_visible_or_404(User, user_id))


@bp.route("/users/<int:user_id>/reveal", methods=["POST"])
@login_required
@roles_required(*ADMINS)
def user_reveal(user_id: int):
    user = get_visible_or_404(User, user_id)
    user_svc.reveal_personal_data(current_actor(), user)
    db.session.commit()
    if is_htmx():
        return render_template("admin/_personal.html", user=user, revealed=True)
    return _detail_page(user, revealed=True)


def _department(ident: int | None) -> Department | None:
    return db.session.get(Department, ident) if ident else None


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def user_new():
    me = current_actor()
    form = UserForm()
    department_select(form.department_id, dept_svc.department_choices(me))
    if request.method == "GET":
        form.department_id.data = request.args.get("department", type=int) or me.department_id
    status = 200
    if form.validate_on_submit():
        try:
            issued = user_svc.create_user(
                me,
                account=form.account.data,
                name=form.name.data,
                department=_department(form.department_id.data),
                mobile=form.mobile.data,
                id_number=form.id_number.data,
                email=form.email.data,
            )
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            return render_template("admin/password_issued.html", issued=[issued], heading="用户已创建")
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def user_edit(user_id: int):
    me = current_actor()
    user = get_visible_or_404(User, user_id)
    reason = user_svc.manage_refusal(me, user)
    if reason:
        abort(403, reason)
    form = UserEditForm(name=user.name, department_id=user.department_id, email=user.email)
    choices = dept_svc.department_choices(me)
    if user.department_id not in {c[0] for c in choices}:
        choices.insert(0, (user.department_id, user.department.name + "（当前，已停用）"))
    department_select(form.department_id, choices)
    status = 200
    if form.validate_on_submit():
        try:
            user_svc.update_user(
                me,
                user,
                name=form.name.data,
                department=_department(form.department_id.data),
                mobile=form.mobile.data,
                id_number=form.id_number.data,
                email=form.email.data or "",
            )
        except Invalid as exc:
            db.session.rollback()
            _attach(form, exc)
            status = 400
        else:
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.route("/users/<int:user_id>/status", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def user_status(user_id: int):
    user = get_visible_or_404(User, user_id)
    value = request.form.get("status", "")
    if value not in {s.value for s in UserStatus}:
        abort(400, "状态不正确")
    try:
        user_svc.set_status(current_actor(), user, UserStatus(value))
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _detail_page(user, status=400)
    db.session.commit()
    flash(f"已{'启用' if value == UserStatus.ACTIVE else '停用'}账号 {user.account}", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def user_reset_password(user_id: int):
    user = get_visible_or_404(User, user_id)
    issued = user_svc.reset_password(current_actor(), user)
    db.session.commit()
    return render_template("admin/password_issued.html", issued=[issued], heading="密码已重置")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@login_required
@roles_required(Role.SYSTEM_ADMIN)
def user_unlock(user_id: int):
    user = get_visible_or_404(User, user_id)
    user_svc.unlock(current_actor(), user)
    db.session.commit()
    flash(f"已解除账号 {user.account} 的锁定", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@login_required
@roles_required(Role.SECURITY_ADMIN)
def user_roles(user_id: int):
    user = get_visible_or_404(User, user_id)
    op, code = request.form.get("op", ""), request.form.get("role", "")
    if op not in {"grant", "revoke"}:
        abort(400, "操作不正确")
    try:
        if op == "grant":
            user_svc.grant_role(current_actor(), user, code)
        else:
            user_svc.revoke_role(current_actor(), user, code)
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _detail_page(user, status=400)
    db.session.commit()
    label = Role(code).label
    flash(f"已{'授予' if op == 'grant' else '收回'}“{label}”角色", "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


# ------------------------------------------------------------------ roles


@bp.route("/roles")
@login_required
@roles_required(*ADMINS)
def roles():
    counts = user_svc.role_holder_counts(current_actor())
    rows = [(r, r in ADMIN_ROLES, counts.get(r.value, 0)) for r in ROLE_ORDER]
    return render_template("admin/roles.html", rows=rows)
