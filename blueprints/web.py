"""Request-level plumbing: sign-in sessions, idle timeout, forced password change, CSRF,
security headers, error pages; the role-based menu is blueprints.menu."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from blueprints.menu import menu_for
from infrastructure import clock
from infrastructure.errors import ServiceError
from models import User, db
from models.roles import Role
from persistence import audit, sessions

login_manager = LoginManager()
csrf = CSRFProtect()

F = TypeVar("F", bound=Callable[..., Any])

# Endpoints reachable without signing in, and those that must not renew the idle timer.
PUBLIC_ENDPOINTS = {"auth.login", "static"}
PASSIVE_ENDPOINTS = {"main.inbox_count", "messages.count"}
PASSWORD_GATE_EXEMPT = {"auth.change_password", "auth.logout", "static"}

ERROR_MESSAGES = {
    400: "请求有误，请检查后重试",
    401: "请先登录",
    403: "您没有权限访问该页面或执行该操作",
    404: "您访问的页面或数据不存在，或不在您的数据权限范围内",
    405: "不支持该请求方式",
    409: "该事项已被他人处理，请刷新页面查看最新状态",
    413: "上传的文件过大（不能超过10MB）",
    500: "系统内部错误，请稍后重试或联系系统管理员",
}


@login_manager.user_loader
def _load_user(ident: str) -> User | None:
    user_id, _, nonce = ident.partition(":")
    if not user_id.isdigit():
        return None
    # The server-side session (persistence/sessions.py): ended at 退出 and the like, so a replayed
    # copy of the cookie is refused.
    found = sessions.signed_in(int(user_id), session.get("sid"))
    if found is None:
        return None
    user, record = found
    if user.session_nonce != nonce or not user.is_active:
        return None
    g.user_session = record
    return user


def roles_required(*roles: Role) -> Callable[[F], F]:
    """403 unless the signed-in user holds one of ``roles``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]  # read by blueprints.menu
        return wrapped  # type: ignore[return-value]

    return decorate


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page.  A history restore (the user went back
    and htmx's cache missed) also says HX-Request but needs the whole page."""
    return is_htmx() and request.headers.get("HX-History-Restore-Request") != "true"


def render_block(template_name: str, block: str, **context: Any) -> str:
    """Render one ``{% block %}`` of a template alone, with the usual template globals.

    Macros the block uses must be imported inside the block: the template's top level
    does not run."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name)
    app.update_template_context(context)
    return template.environment.concat(template.blocks[block](template.new_context(context)))  # type: ignore[attr-defined]


# Paths whose errors are not pages: prefix → renderer (status, message or None) → response.
# The data interface registers "/api/" (blueprints/api: RFC 9457 problem details, no HTML).
ERROR_RENDERERS: dict[str, Callable[[int, str | None], Response]] = {}


def register_error_renderer(prefix: str, render: Callable[[int, str | None], Response]) -> None:
    ERROR_RENDERERS[prefix] = render


def error_response(status: int, message: str | None = None) -> Any:
    for prefix, render in ERROR_RENDERERS.items():
        if request.path.startswith(prefix):
            return render(status, message)
    message = message or ERROR_MESSAGES.get(status, "请求无法完成")
    template = "errors/_fragment.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, message=message), status


def init_web(app: Flask) -> None:
    _init_login(app)
    _register_gatekeeper(app)
    _register_security_headers(app)
    _register_error_handlers(app)
    _register_template_helpers(app)


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    csrf.init_app(app)

    @login_manager.unauthorized_handler
    def _unauthorized() -> Response:
        if is_htmx():
            resp = Response("", 401)
            resp.headers["HX-Redirect"] = url_for("auth.login")
            return resp
        flash("请先登录", "warning")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


def _register_gatekeeper(app: Flask) -> None:
    """Sign-in, idle timeout and the first-login password change, before every request."""

    @app.before_request
    def _gatekeeper() -> Any:
        endpoint = request.endpoint or ""
        if endpoint in PUBLIC_ENDPOINTS or endpoint.startswith(("public.", "api.")):
            return None  # /api/v1 (endpoints api.*) authenticates each call by its token
        if not current_user.is_authenticated:
            if endpoint:
                return login_manager.unauthorized()
            return None
        now = time.time()
        idle = app.config["IDLE_TIMEOUT_MINUTES"] * 60
        last = session.get("last_seen")
        record = g.get("user_session")
        if (last is not None and now - float(last) > idle) or (record is not None and sessions.is_idle(record)):
            user = current_user._get_current_object()
            sessions.end(user.id, session.get("sid"), "idle")
            audit.record("session_expired", object_type="user", object_id=user.id, user=user)
            db.session.commit()
            logout_user()
            session.clear()
            flash(f"您已超过{app.config['IDLE_TIMEOUT_MINUTES']}分钟未操作，请重新登录", "warning")
            if is_htmx():
                return login_manager.unauthorized()
            return redirect(url_for("auth.login"))
        if endpoint not in PASSIVE_ENDPOINTS:
            session["last_seen"] = now
            if record is not None:
                sessions.touch(record)
        if session.get("must_change_password") and endpoint not in PASSWORD_GATE_EXEMPT:
            if endpoint in PASSIVE_ENDPOINTS:
                return Response("", 204)
            if is_htmx():
                resp = Response("", 403)
                resp.headers["HX-Redirect"] = url_for("auth.change_password")
                return resp
            flash("请先修改密码后再使用系统", "warning")
            return redirect(url_for("auth.change_password"))
        return None


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        if request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(_exc: CSRFError) -> Any:
        db.session.rollback()
        return error_response(400, "页面已过期或缺少安全令牌，请刷新页面后重试")

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Any:
        # An error that must leave a trace (a wrong password at signing counts toward the
        # lockout, services/receipts.PasswordRejected) keeps what the service wrote.
        if getattr(exc, "persist", False):
            db.session.commit()
        else:
            db.session.rollback()
        return error_response(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        db.session.rollback()
        # A view may pass a Chinese description (abort(403, "…")); defaults stay ours.
        custom = exc.description != type(exc).description
        message = exc.description if custom else None
        return error_response(exc.code, message)

    @app.errorhandler(Exception)
    def _server_error(exc: Exception) -> Any:
        app.logger.exception("unhandled error: %s", exc)
        db.session.rollback()
        return error_response(500)


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict[str, Any]:
        from models.roles import role_label

        return {"menu": menu_for(current_user), "role_label": role_label, "Role": Role}

    from services.deadlines import deadline_of

    app.jinja_env.globals["result_deadline"] = deadline_of

    @app.before_request
    def _request_started() -> None:
        g.htmx = is_htmx()

    @app.template_filter("dt")
    def _local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """Stored times are UTC; the users work in China Standard Time."""
        return clock.format_china(value, fmt)
