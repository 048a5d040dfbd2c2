"""Signed checkpoints of the audit chain, kept outside the database (docs/deploy.md).

A keyed chain (infrastructure/audit_key.py) stops anyone without the key from rewriting rows, but
deleting the last rows leaves a shorter chain that is still valid.  So every successful check
appends a checkpoint — time, number of rows, last id and hash, first keyed row — to
``AUDIT_CHECKPOINT_FILE`` (default ``instance/audit_checkpoints.log``, mode 600), one JSON line
each, HMAC-signed with the current audit key.  ``verify_all`` walks the chain and compares it
with the last valid checkpoint: a deleted tail, a rewritten tail or a changed row all show.
``flask audit checkpoint`` (daily, from cron) and ``flask audit verify`` write them; the
审计员 lists them at /audit/checkpoints.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app

from infrastructure import audit_key
from models import db, utcnow
from persistence import audit, audit_outbox
from persistence.audit import ChainProblem, ChainState
from services import result_integrity


@dataclass(frozen=True)
class Checkpoint:
    line: int
    at: datetime | None  # UTC
    count: int
    last_id: int
    last_hash: str
    keyed_from: int | None
    key: int
    valid: bool


@dataclass
class VerifyReport:
    checked: int
    problems: list[ChainProblem]
    baseline: Checkpoint | None  # the checkpoint compared against
    written: Checkpoint | None = None  # the checkpoint this run appended
    results_checked: int = 0
    result_problems: list[result_integrity.ResultProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.result_problems


def checkpoint_file() -> Path:
    configured = current_app.config.get("AUDIT_CHECKPOINT_FILE") or os.environ.get("AUDIT_CHECKPOINT_FILE", "").strip()
    return Path(configured) if configured else Path(current_app.instance_path) / "audit_checkpoints.log"


def _signed_text(at: str, count: int, last_id: int, last_hash: str, keyed_from: int | None) -> str:
    return f"{at}\x1f{count}\x1f{last_id}\x1f{last_hash}\x1f{keyed_from if keyed_from is not None else ''}"


def _parse(number: int, line: str, keys: dict[int, bytes]) -> Checkpoint:
    try:
        data = json.loads(line)
        at, count, last_id = str(data["at"]), int(data["count"]), int(data["last_id"])
        last_hash, key, sig = str(data["last_hash"]), int(data["key"]), str(data["sig"])
        keyed_from = None if data.get("keyed_from") is None else int(data["keyed_from"])
    except (ValueError, KeyError, TypeError):
        return Checkpoint(number, None, 0, 0, "", None, 0, False)
    valid = key in keys and audit_key.digest(
        key, "checkpoint\x1f" + _signed_text(at, count, last_id, last_hash, keyed_from), keys
    ) == sig
    try:
        when: datetime | None = datetime.fromisoformat(at.removesuffix("Z"))
    except ValueError:
        when, valid = None, False
    return Checkpoint(number, when, count, last_id, last_hash, keyed_from, key, valid)


def read_all() -> list[Checkpoint]:
    """Every line of the checkpoint file, oldest first, each with whether its signature holds."""
    path = checkpoint_file()
    if not path.exists():
        return []
    keys = audit_key.keyring()
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_parse(n, line, keys) for n, line in enumerate(lines, 1) if line.strip()]


def append(state: ChainState) -> Checkpoint:
    """Sign and append a checkpoint of ``state`` (a walk that found no problem)."""
    at = utcnow().isoformat(timespec="seconds") + "Z"
    text = _signed_text(at, state.checked, state.last_id, state.last_hash, state.keyed_from)
    key, sig = audit_key.sign(text)
    line = json.dumps({"at": at, "count": state.checked, "last_id": state.last_id, "last_hash": state.last_hash,
                       "keyed_from": state.keyed_from, "key": key, "sig": sig})
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    number = len(path.read_text(encoding="utf-8").splitlines())
    return Checkpoint(number, datetime.fromisoformat(at[:-1]), state.checked, state.last_id, state.last_hash,
                      state.keyed_from, key, True)


def compare(state: ChainState, cp: Checkpoint) -> list[ChainProblem]:
    """What the chain lost or changed since checkpoint ``cp``."""
    problems: list[ChainProblem] = []
    at = f"{cp.at:%Y-%m-%d %H:%M:%S} UTC" if cp.at else f"第{cp.line}行"
    if cp.count and state.anchor_hash is None:
        problems.append(ChainProblem(cp.last_id, f"检查点（{at}）的最后一条记录已不存在：末尾的记录被删除"))
    elif cp.count and state.anchor_hash != cp.last_hash:
        problems.append(ChainProblem(cp.last_id, f"该记录的哈希与检查点（{at}）不符：记录被改写"))
    if cp.count and state.anchor_count is not None and state.anchor_count != cp.count:
        problems.append(ChainProblem(
            cp.last_id, f"检查点（{at}）时至该记录共 {cp.count} 条，现存 {state.anchor_count} 条：有记录被删除或插入"
        ))
    if state.checked < cp.count:
        problems.append(ChainProblem(
            state.last_id, f"现存记录 {state.checked} 条，少于检查点（{at}）的 {cp.count} 条：记录被删除"
        ))
    if cp.keyed_from is not None and state.keyed_from != cp.keyed_from:
        problems.append(ChainProblem(
            cp.keyed_from, f"第一条加密钥记录与检查点（{at}）不符：记录被改写为未加密钥的哈希"
        ))
    return problems


def verify_all(*, write: bool = True, results: bool = True) -> VerifyReport:
    """The chain, checked against the last valid checkpoint; a new checkpoint when all is well;
    with ``results`` every published result digest as well.  Rows waiting in the audit outbox
    are chained first (committed), so that the check covers every call made so far."""
    if audit_outbox.seal():
        db.session.commit()
    checkpoints = read_all()
    problems = [ChainProblem(0, f"检查点文件第{c.line}行签名无效或格式错误：检查点文件被改动")
                for c in checkpoints if not c.valid]
    baseline = next((c for c in reversed(checkpoints) if c.valid), None)
    state = audit.walk(anchor_id=baseline.last_id if baseline else None)
    problems = state.problems + problems
    if baseline is not None:
        problems += compare(state, baseline)
    report = VerifyReport(state.checked, problems, baseline)
    if results:
        report.results_checked, report.result_problems = result_integrity.verify_published()
    if write and not problems:
        report.written = append(state)
    return report
