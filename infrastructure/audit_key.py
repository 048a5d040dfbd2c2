"""The audit trail's HMAC keys, kept outside the database (docs/deploy.md, 审计密钥与检查点).

Rows of ``audit_event`` are chained with HMAC-SHA256 under a numbered key, so that someone who
can write to the database but cannot read the key cannot recompute the chain after changing a
row.  Key number 1 is reserved for the rows written before keying (plain SHA-256); real keys
are numbered from 2.  The keys come from the environment variable ``AUDIT_KEYS``
("2:<hex>,3:<hex>") when it is set, else from the file ``AUDIT_KEY_FILE`` (default
``instance/audit_key``, mode 600, created with key 2 on first use), one "<number> <hex>" a line.
The highest number signs new rows; older keys stay to verify older rows.  ``rotate`` appends
the next key to the file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from flask import current_app

LEGACY_VERSION = 1  # unkeyed SHA-256 (rows written before migration 0019)
FIRST_KEY_VERSION = 2


class AuditKeyError(RuntimeError):
    """The key file or AUDIT_KEYS cannot be read."""


def key_file() -> Path:
    configured = current_app.config.get("AUDIT_KEY_FILE") or os.environ.get("AUDIT_KEY_FILE", "").strip()
    return Path(configured) if configured else Path(current_app.instance_path) / "audit_key"


def _parse(lines: list[str], source: str, unit: str = "行") -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    for n, line in enumerate(lines, 1):
        line = line.strip().replace(":", " ", 1)
        if not line or line.startswith("#"):
            continue
        number, _, value = line.partition(" ")
        try:
            version, key = int(number), bytes.fromhex(value.strip())
        except ValueError:
            raise AuditKeyError(f"{source} 第{n}{unit}格式错误（应为“编号 十六进制密钥”）") from None
        if version < FIRST_KEY_VERSION or len(key) < 16:
            raise AuditKeyError(f"{source} 第{n}{unit}：密钥编号须从{FIRST_KEY_VERSION}起，密钥至少16字节")
        keys[version] = key
    return keys


def check_environment(environ: dict[str, str] | None = None) -> None:
    """Refuse to start with a malformed ``AUDIT_KEYS`` (AuditKeyError names the bad entry), so
    that a typo in a deployment stops the process at start-up instead of failing the first
    request that writes the audit trail."""
    env = (environ if environ is not None else os.environ).get("AUDIT_KEYS", "").strip()
    if env and not _parse(env.split(","), "AUDIT_KEYS", "项"):
        raise AuditKeyError("AUDIT_KEYS 中没有密钥")


def _create(path: Path) -> None:
    """Write key 2 atomically (a temporary file linked into place): concurrent first uses agree."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{FIRST_KEY_VERSION} {secrets.token_hex(32)}\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def keyring() -> dict[int, bytes]:
    """Every key by number; read again whenever the file changes (a rotation in another process)."""
    env = os.environ.get("AUDIT_KEYS", "").strip()
    if env:
        return _parse(env.split(","), "AUDIT_KEYS", "项")
    path = key_file()
    if not path.exists():
        _create(path)
    stat = path.stat()
    stamp = (str(path), stat.st_mtime_ns, stat.st_size)
    cached = current_app.extensions.get("audit_keyring")
    if cached is not None and cached[0] == stamp:
        return dict(cached[1])
    keys = _parse(path.read_text().splitlines(), str(path))
    if not keys:
        raise AuditKeyError(f"{path} 中没有密钥")
    current_app.extensions["audit_keyring"] = (stamp, keys)
    return dict(keys)


def current_version() -> int:
    return max(keyring())


def digest(version: int, text: str, keys: dict[int, bytes] | None = None) -> str:
    """The chain hash of ``text`` under key ``version`` (1: plain SHA-256)."""
    data = text.encode("utf-8")
    if version == LEGACY_VERSION:
        return hashlib.sha256(data).hexdigest()
    ring = keys if keys is not None else keyring()
    key = ring.get(version)
    if key is None:
        raise AuditKeyError(f"缺少第{version}号审计密钥")
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def sign(text: str, version: int | None = None) -> tuple[int, str]:
    """(key number, HMAC) for a checkpoint line."""
    version = version or current_version()
    return version, digest(version, "checkpoint\x1f" + text)


def rotate() -> int:
    """Append the next key to the key file; returns its number."""
    if os.environ.get("AUDIT_KEYS", "").strip():
        raise AuditKeyError("密钥由环境变量 AUDIT_KEYS 提供：请在其中追加新密钥")
    version = current_version() + 1
    path = key_file()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a") as fh:
        fh.write(f"{version} {secrets.token_hex(32)}\n")
    return version
