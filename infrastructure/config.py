"""Every setting of the app, declared once: its config key, environment variable, type,
default and meaning.  ``create_app`` loads them from here (``load``); docs/config.md is
generated from here (``.venv/bin/python -m infrastructure.config > docs/config.md``) and
tests/test_config.py fails when the two disagree or when the code reads a key not declared.

Infrastructure: no project imports.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    key: str  # the app.config key ("" for an environment-only setting)
    env: str  # the environment variable that sets it ("" when only create_app(config) can)
    type: type  # str, int or bool ("1" is true)
    default: Any  # None: computed by create_app (see ``meaning``)
    meaning: str
    shown_default: str = ""  # how the docs show a computed default

    @property
    def name(self) -> str:
        return self.key or self.env


MiB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    # ---- where things are
    Setting("", "ZHJG_INSTANCE", str, None,
            "The instance directory (SQLite file, secret key, audit key and checkpoints).",
            shown_default="`instance/` beside app.py"),
    Setting("SQLALCHEMY_DATABASE_URI", "DATABASE_URL", str, None,
            "The database. `postgres://` and `postgresql://` are routed to psycopg 3; "
            "production uses PostgreSQL (docs/deploy.md).",
            shown_default="`sqlite:///<instance>/zhjg.sqlite3`"),
    Setting("SQLALCHEMY_ENGINE_OPTIONS", "", dict, None,
            "Pool options: `pool_pre_ping` from DATABASE_PRE_PING; on PostgreSQL "
            "`plan_cache_mode=force_custom_plan` (every statement planned with its actual values, "
            "see app.engine_options).",
            shown_default="computed from the database URL"),
    Setting("DATABASE_PRE_PING", "DATABASE_PRE_PING", bool, False,
            "`1`: test each pooled connection with a round trip whenever a request takes it, so that "
            "no request fails after a database restart. Off: one round trip less per request "
            "(docs/deploy.md); a connection broken by a restart fails one request and the pool is "
            "renewed."),
    Setting("SECRET_KEY", "SECRET_KEY", str, None,
            "Signs sessions and CSRF tokens (会话密钥). Set it identically on every worker.",
            shown_default="generated once into `<instance>/secret_key` (mode 600)"),
    Setting("PUBLIC_BASE_URL", "PUBLIC_BASE_URL", str, "",
            "Scheme and host printed in the QR codes of record PDFs (对外访问地址); unset: the "
            "request's address, never a loopback one. Administrators see a warning while unset."),
    Setting("PROXY_HOPS", "PROXY_HOPS", int, 0,
            "Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted "
            "(client IP in the audit trail, https URLs). 0: none."),
    # ---- sessions and sign-in
    Setting("SESSION_COOKIE_SECURE", "SESSION_COOKIE_SECURE", bool, False,
            "Send the session cookie over HTTPS only (`1` behind TLS)."),
    Setting("SESSION_COOKIE_HTTPONLY", "", bool, True, "The session cookie is not readable by scripts."),
    Setting("SESSION_COOKIE_SAMESITE", "", str, "Lax", "The session cookie's SameSite attribute."),
    Setting("SESSION_COOKIE_NAME", "", str, "zhjg_session", "The session cookie's name."),
    Setting("REMEMBER_COOKIE_DURATION", "", int, 0, "No \"remember me\" cookie: every session ends with the browser."),
    Setting("WTF_CSRF_TIME_LIMIT", "", type(None), None,
            "CSRF tokens live as long as the session (the idle timeout ends it).",
            shown_default="None (no limit)"),
    Setting("IDLE_TIMEOUT_MINUTES", "IDLE_TIMEOUT_MINUTES", int, 30,
            "Idle minutes after which the session ends (会话超时)."),
    Setting("PASSWORD_MAX_AGE_DAYS", "PASSWORD_MAX_AGE_DAYS", int, 90,
            "Days after which a password must be changed at the next sign-in (密码有效期); 0 turns it off."),
    Setting("LOCKOUT_THRESHOLD", "", int, 5,
            "Failed passwords (sign-in or signing a receipt) that lock the account (登录失败锁定)."),
    Setting("LOCKOUT_MINUTES", "", int, 15, "How long a locked account stays locked."),
    # ---- uploads
    Setting("MAX_CONTENT_LENGTH", "", int, 10 * MiB,
            "Largest request body in bytes (10 MB: one plan file, document attachment or evidence "
            "file per request). The import pages raise it to their own limit (docs/deploy.md)."),
    # ---- background jobs
    Setting("JOBS_RUNNER", "JOBS_RUNNER", str, "thread",
            "`thread`: large imports run in a thread of the web process; `external`: they wait "
            "for `flask jobs run` (后台任务)."),
    Setting("JOB_STALE_SECONDS", "JOB_STALE_SECONDS", int, 900,
            "A running job whose heartbeat is older than this is taken as interrupted and failed."),
    Setting("IMPORT_JOB_ROWS", "IMPORT_JOB_ROWS", int, 5000,
            "A registry import confirming more rows than this runs as a background job."),
    # ---- business rules
    Setting("PDF_WORKERS", "PDF_WORKERS", int, 0,
            "Worker processes that render a task's record PDFs in parallel (0: one per CPU).  "
            "They belong to the process that runs background jobs, never to a web request."),
    Setting("PDF_SYNC_RECORDS", "PDF_SYNC_RECORDS", int, 20,
            "A task with at most this many records not yet cached gets its records PDF in the "
            "request; more are rendered by a background job with progress (docs/benchmarks.md)."),
    Setting("PDF_CACHE_MB", "PDF_CACHE_MB", int, 2048,
            "Size of the record-PDF cache (instance/pdf_cache, keyed by the digest of each "
            "record's printed HTML); the least recently used files go first."),
    Setting("DRAW_RECENT_INSPECTION_DAYS", "DRAW_RECENT_INSPECTION_DAYS", int, 365,
            "An inspector who was on a task inspecting one of this task's objects that started "
            "within this many days before this task's start is not drawn for it (回避)."),
    Setting("RESULT_PUBLICITY_DAYS", "RESULT_PUBLICITY_DAYS", int, 1095,
            "The legal publicity period (公示法定期限) in days: 停止公示 of a result may be asked "
            "only after it. Seed 001 gives no figure; three years is an assumption."),
    Setting("PLANS_TODAY", "", str, None,
            "Tests only: the working day (a date or ISO text) instead of today in China.",
            shown_default="unset (today in Asia/Shanghai)"),
    # ---- data interface (/api/v1, docs/api.md)
    Setting("API_MAX_BODY_BYTES", "API_MAX_BODY_BYTES", int, 2 * MiB,
            "Largest JSON body of an /api/v1 request (2 MB); a larger one is answered 413."),
    Setting("API_DEFAULT_RATE_LIMIT", "API_DEFAULT_RATE_LIMIT", int, 600,
            "Requests per minute offered by default when a credential is issued (每分钟请求上限)."),
    Setting("API_RATE_LIMIT_REDIS_URL", "API_RATE_LIMIT_REDIS_URL", str, "",
            "Redis holding the per-client request counters (e.g. `redis://127.0.0.1:6379/0`), shared "
            "by every worker; empty: counters in each process's memory (one process, development). "
            "While Redis does not answer, the counters of the process are used."),
    Setting("API_TOKEN_CACHE_SECONDS", "API_TOKEN_CACHE_SECONDS", int, 5,
            "How long a worker keeps what it read of an API credential and its account (services/api/"
            "clients.py); 0: read on every call.  A revocation, a disabled account or a lost role is "
            "seen by every worker at once when API_RATE_LIMIT_REDIS_URL is set, otherwise by other "
            "processes within this many seconds."),
    Setting("API_TOKEN_KEY", "API_TOKEN_KEY", str, "",
            "The key of the keyed SHA-256 under which API tokens are stored (接口令牌密钥); changing "
            "it invalidates every token.",
            shown_default="derived from SECRET_KEY"),
    # ---- audit trail
    Setting("", "AUDIT_KEYS", str, "",
            "The audit chain's HMAC keys as `2:<hex>,3:<hex>`; when set, the key file is not used "
            "and rotation means appending a key here (审计密钥)."),
    Setting("AUDIT_KEY_FILE", "AUDIT_KEY_FILE", str, "",
            "The audit key file, one `<number> <hex>` a line; created with key 2 on first use.",
            shown_default="`<instance>/audit_key`"),
    Setting("AUDIT_CHECKPOINT_FILE", "AUDIT_CHECKPOINT_FILE", str, "",
            "The signed checkpoints of the audit chain, one JSON line each (审计检查点).",
            shown_default="`<instance>/audit_checkpoints.log`"),
    # ---- notifications
    Setting("NOTIFY_SENDER", "NOTIFY_SENDER", str, "persistence.notifications:LogSender",
            "The class that sends the SMS/e-mail outbox in `flask notify send`, as `module:Class` "
            "or `module.Class`, built with the app's config; the default logs each message "
            "(`zhjg.notify`), `persistence.notifications:SmtpSender` sends e-mail over SMTP."),
    Setting("NOTIFY_MAX_ATTEMPTS", "NOTIFY_MAX_ATTEMPTS", int, 5,
            "Sending attempts of one outbox message before it is marked failed."),
    Setting("NOTIFY_SMTP_HOST", "NOTIFY_SMTP_HOST", str, "localhost", "SMTP relay of SmtpSender."),
    Setting("NOTIFY_SMTP_PORT", "NOTIFY_SMTP_PORT", int, 25, "SMTP port of SmtpSender."),
    Setting("NOTIFY_SMTP_FROM", "NOTIFY_SMTP_FROM", str, "noreply@localhost", "Sender address of SmtpSender."),
    # ---- 信用沙盒 (docs/sandbox.md)
    Setting("SANDBOX_SMS_SENDER", "SANDBOX_SMS_SENDER", str, "services.sandbox.sms:LogSmsSender",
            "The class that sends the credit sandbox's short messages to entities, as `module:Class`, built with "
            "the app's config; the default logs each message (`zhjg.sandbox.sms`), "
            "`services.sandbox.sms:GatewaySmsSender` posts it to `SANDBOX_SMS_GATEWAY_URL`."),
    Setting("SANDBOX_SMS_GATEWAY_URL", "SANDBOX_SMS_GATEWAY_URL", str, "",
            "The HTTP endpoint of the SMS gateway used by GatewaySmsSender."),
    Setting("SANDBOX_SMS_DAILY_LIMIT", "SANDBOX_SMS_DAILY_LIMIT", int, 3,
            "Short messages one entity may receive in 24 hours; more are recorded as skipped."),
    Setting("SANDBOX_WEBHOOK_MAX_ATTEMPTS", "SANDBOX_WEBHOOK_MAX_ATTEMPTS", int, 6,
            "Attempts to push one clue to a partner's webhook before the delivery is marked failed."),
    Setting("SANDBOX_WEBHOOK_BACKOFF_SECONDS", "SANDBOX_WEBHOOK_BACKOFF_SECONDS", int, 60,
            "Wait before the first retry of a webhook; doubled after each failure."),
    Setting("SANDBOX_WEBHOOK_TIMEOUT_SECONDS", "SANDBOX_WEBHOOK_TIMEOUT_SECONDS", int, 5,
            "Timeout of one webhook call (and of one call of the SMS gateway)."),
    Setting("SANDBOX_WEBHOOK_ALLOWED_HOSTS", "SANDBOX_WEBHOOK_ALLOWED_HOSTS", str, "",
            "Hosts (names or IP literals, separated by commas or spaces) a partner's webhook may use although "
            "they are or resolve to a loopback, link-local, private or reserved address; every other host must "
            "resolve to public addresses only, checked when the address is saved and before each push "
            "(infrastructure/netguard.py). Empty: none."),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS if s.key}
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS if s.env}

# Environment variables read by the test suite and CI only (not by the app).
TEST_ENVIRONMENT: tuple[tuple[str, str, str], ...] = (
    ("TEST_DATABASES", "sqlite,postgresql", "The backends the suite runs on."),
    ("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test",
     "The PostgreSQL server the suite creates and drops its own database on."),
    ("TEST_SHARD", "", "`postgresql`: keep only the tests parametrised on PostgreSQL (set by `./dev test` for its "
     "background half)."),
    ("TEST_SERIAL", "", "`1`: `./dev test` runs both halves in one process instead of side by side."),
    ("REQUIRE_POSTGRES", "", "`1`: fail instead of skipping when PostgreSQL does not answer (CI)."),
    ("REQUIRE_BROWSER", "", "`1`: fail instead of skipping when /usr/bin/chromium is missing (CI)."),
)


def default(key: str) -> Any:
    """The declared default of ``key`` (for code that reads the config outside create_app)."""
    return BY_KEY[key].default


def _parse(setting: Setting, raw: str) -> Any:
    raw = raw.strip()
    if setting.type is bool:
        return raw == "1"
    if setting.type is int:
        return int(raw)
    return raw


def load(environ: Mapping[str, str]) -> dict[str, Any]:
    """The config keys with a plain default, each from its environment variable when set.

    Settings whose default is None are computed by create_app (database URL, secret key,
    engine options) or stay unset (PLANS_TODAY)."""
    values: dict[str, Any] = {}
    for s in SETTINGS:
        if not s.key or (s.default is None and s.type is not type(None)):
            continue
        raw = environ.get(s.env) if s.env else None
        values[s.key] = _parse(s, raw) if raw not in (None, "") else s.default
    return values


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _shown(s: Setting) -> str:
    if s.shown_default:
        return s.shown_default
    if s.type is bool:
        return "on" if s.default else "off"
    return f"`{s.default}`" if s.default != "" else "empty"


def markdown() -> str:
    """The text of docs/config.md."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated from infrastructure/config.py by `.venv/bin/python -m infrastructure.config > docs/config.md`;",
        "     tests/test_config.py fails when this file is out of date. Edit infrastructure/config.py. -->",
        "",
        "Every setting of the app. Set the environment variable before starting the app (or pass",
        "the key to `create_app(config)`, as the tests do). A setting without an environment",
        "variable is fixed in code and changed only through `create_app(config)`.",
        "",
        "| Setting | Environment variable | Type | Default | Meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        key = f"`{s.key}`" if s.key else "—"
        env = f"`{s.env}`" if s.env else "—"
        kind = "none" if s.type is type(None) else s.type.__name__
        lines.append(f"| {key} | {env} | {kind} | {_cell(_shown(s))} | {_cell(s.meaning)} |")
    lines += [
        "",
        "## Test suite and CI",
        "",
        "| Environment variable | Default | Meaning |",
        "| --- | --- | --- |",
    ]
    for env, value, meaning in TEST_ENVIRONMENT:
        lines.append(f"| `{env}` | {f'`{value}`' if value else 'unset'} | {_cell(meaning)} |")
    lines += ["", "`./dev run` also reads `HOST` and `PORT` (where `flask run` listens).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
