"""infrastructure/config.py declares every setting; docs/config.md is generated from it."""

from __future__ import annotations

import re
from pathlib import Path

from infrastructure import config as settings

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = ["app.py", "blueprints", "cli", "services", "workflows", "persistence", "models", "infrastructure"]
# app.config["X"], config.get("X"), config.setdefault("X") and os.environ.get("X") in app code
KEY_USE = re.compile(r"""config(?:\[|\.get\(|\.setdefault\()\s*["']([A-Z][A-Z0-9_]+)["']""")
ENV_USE = re.compile(r"""environ(?:\[|\.get\()\s*["']([A-Z][A-Z0-9_]+)["']""")


def _sources() -> list[Path]:
    files: list[Path] = []
    for name in APP_CODE:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def test_every_key_the_code_reads_is_declared():
    used_keys: dict[str, str] = {}
    used_env: dict[str, str] = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for key in KEY_USE.findall(text):
            used_keys.setdefault(key, str(path.relative_to(ROOT)))
        for env in ENV_USE.findall(text):
            used_env.setdefault(env, str(path.relative_to(ROOT)))
    assert "IDLE_TIMEOUT_MINUTES" in used_keys and "DATABASE_URL" in used_env  # the walk sees the code
    undeclared = {k: f for k, f in used_keys.items() if k not in settings.BY_KEY}
    assert undeclared == {}, f"declare these settings in infrastructure/config.py: {undeclared}"
    undeclared_env = {k: f for k, f in used_env.items() if k not in settings.BY_ENV}
    assert undeclared_env == {}, f"declare these environment variables in infrastructure/config.py: {undeclared_env}"


def test_docs_config_is_generated_from_the_module():
    written = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert written == settings.markdown(), (
        "docs/config.md is out of date: .venv/bin/python -m infrastructure.config > docs/config.md")
    for s in settings.SETTINGS:
        assert f"`{s.name}`" in written


def test_load_reads_the_environment_else_the_declared_default():
    values = settings.load({"IDLE_TIMEOUT_MINUTES": "5", "SESSION_COOKIE_SECURE": "1",
                            "NOTIFY_SMTP_HOST": " smtp.example.cn ", "JOBS_RUNNER": ""})
    assert values["IDLE_TIMEOUT_MINUTES"] == 5
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["NOTIFY_SMTP_HOST"] == "smtp.example.cn"
    assert values["JOBS_RUNNER"] == "thread"
    assert values["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    assert "SECRET_KEY" not in values and "PLANS_TODAY" not in values  # computed / unset


def test_create_app_loads_the_declared_settings(app):
    missing = [key for key in settings.load({}) if key not in app.config]
    assert missing == []
    assert app.config["LOCKOUT_THRESHOLD"] == settings.default("LOCKOUT_THRESHOLD")
    assert app.config["NOTIFY_SMTP_PORT"] == settings.default("NOTIFY_SMTP_PORT")
