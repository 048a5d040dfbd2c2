"""PDFs of the inspection records (检查情况记录表): DB5101 A.3 / A.3.1 per department, seed 003
F.1, all records of a task in one document, and the 检查通知书 to an inspected entity.

Everything printed comes from a small view-model (``RecordView``, ``NoticeView``) built by one
function per source (``record_view``, ``notice_view``); the templates (templates/pdf/record_*.html,
notice.html) read nothing else.  A record's PDF carries its 记录编号, a QR code (segno, inline
SVG) with the absolute URL of its public verification page (/public/records/<record_no>/verify)
and the SHA-256 of its content (``RecordView.digest``): the canonical JSON of what the record
says, the same whichever form (A.3.1 or F.1) prints it, not changed by its status.  Anyone can
type the printed digest into the verification page to learn whether the paper is the current
content.

Output is deterministic: no creation date, a PDF identifier derived from the content, so the
same record gives the same bytes.  A task's records are one PDF per record merged
(services/task_records_pdf.py), each cached by the digest of its HTML.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import segno
from flask import current_app, has_request_context, request

from infrastructure import clock, pdf, pdf_batch

if TYPE_CHECKING:
    from models import InspectionRecord, Task, TaskObject

FORMS = ("a31", "f1")
A3_TITLE = "“双随机、一公开”检查情况记录表"  # DB5101 A.3 (a single department's task)
A31_TITLE = "部门联合“双随机、一公开”各部门事项检查情况记录表"  # DB5101 A.3.1
F1_TITLE = "部门联合“双随机、一公开”抽查情况记录表"  # seed 003 表F.1
NOTICE_TITLE = "“双随机、一公开”抽查检查通知书"
VERIFY_PATH = "/public/records/{record_no}/verify"
QR_MASK = 2


# The paper's dates are China dates (infrastructure/clock.py): 2026年3月5日, a stored time converted.
cn_date, cn_datetime = clock.cn_date, clock.cn_datetime


# ------------------------------------------------------------------ view-models


@dataclass(frozen=True)
class Line:
    check_item: str  # 检查项目
    content: str  # 检查内容
    outcome: str  # 检查结果


@dataclass(frozen=True)
class Confirmation:
    name: str
    department: str
    confirmed: str  # 2026年3月5日 (a signature block: the date only)


@dataclass(frozen=True)
class RecordView:
    """What a record's PDF prints (and what its digest covers, except the fields after ``lines``
    that describe the record's state: status, version)."""

    record_no: str
    joint: bool  # a joint task: A.3.1's title, else A.3's
    task_name: str
    department: str  # 填报部门
    filled_on: str  # 填报时间
    inspectors: str  # 检查人员
    inspected_at: str  # 检查时间
    method: str  # 检查方式
    subject_name: str  # 主体名称
    uscc: str  # 统一社会信用代码
    district: str  # 所属区县
    license_no: str  # 证件（照）号码
    legal_rep: str  # 法定代表人
    address: str  # 检查地址
    phone: str  # 联系电话
    items_text: str  # 检查事项
    findings: str  # 记录情况
    result: str  # 检查结果 (category label)
    result_note: str
    signer_name: str  # 被检查单位（人）签字
    signed_at: str
    refused: bool
    refusal_witness: str  # 见证人
    refusal_recording: str
    refusal_note: str
    lines: tuple[Line, ...] = ()
    confirmations: tuple[Confirmation, ...] = ()
    # State, not content: shown, not digested.  ``team``: one signature line per member of the
    # team (检查组全体成员签字确认), with the date of the member's confirmation when given.
    team: tuple[Confirmation, ...] = field(default=(), compare=False)
    status: str = field(default="", compare=False)
    version: int = field(default=0, compare=False)

    def content(self) -> dict[str, Any]:
        data = asdict(self)
        del data["status"], data["version"], data["team"]
        return data

    @property
    def digest(self) -> str:
        """SHA-256 of the record's content as canonical JSON (sorted keys, no spaces, UTF-8)."""
        return content_digest(self.content())

    @property
    def title(self) -> str:
        return A31_TITLE if self.joint else A3_TITLE

    @property
    def f1_rows(self) -> list[tuple[str, str]]:
        """F.1's 检查事项 | 记录情况 rows: the free text, then each A.3.1 line."""
        rows = [(self.items_text, self.findings)] if (self.items_text or self.findings) else []
        for line in self.lines:
            item = "：".join(v for v in (line.check_item, line.content) if v)
            rows.append((item, line.outcome))
        return rows


def content_digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TeamLine:
    name: str
    department: str
    role: str  # 组长 / 组员 / 专家 …
    cert_no: str  # 执法证编号


@dataclass(frozen=True)
class NoticeView:
    """检查通知书: who is inspected, by whom, when, on what, on which legal basis."""

    task_name: str
    subject_name: str
    address: str
    department: str  # 发起部门 / 监管部门
    partners: str  # 参与部门, joined by 、
    period: str  # 2026年4月1日至2026年4月30日
    item_name: str
    items: str  # 检查内容
    methods: str
    basis: str  # 检查依据
    requirements: str  # 工作要求
    team: tuple[TeamLine, ...]
    issued_on: str  # 书面告知的日期, else empty (filled by hand beside the seal)
    notice_no: str


# ------------------------------------------------------------------ URLs and QR codes


def is_loopback_url(url: str) -> bool:
    """``url``'s host is this machine only (localhost, 127.x, ::1, 0.0.0.0): useless on paper."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def public_base_url() -> str:
    """Scheme and host printed in QR codes: PUBLIC_BASE_URL, else the address the request came
    in on — but never a loopback address: then "" (the QR code holds the path only) and a warning
    in the log, since a code pointing at 127.0.0.1 opens nothing on the reader's phone."""
    configured = current_app.config.get("PUBLIC_BASE_URL") or ""
    if configured:
        return configured.rstrip("/")
    host_url = request.host_url if has_request_context() else ""
    if host_url and not is_loopback_url(host_url):
        return host_url.rstrip("/")
    current_app.logger.warning(
        "PUBLIC_BASE_URL is not set and the request came in on a loopback address (%s): "
        "record QR codes print the verification path without a host", host_url or "no request")
    return ""


def base_url_warning() -> str:
    """The administrators' warning while PUBLIC_BASE_URL is unset (empty when it is set)."""
    if current_app.config.get("PUBLIC_BASE_URL"):
        return ""
    return ("未配置对外访问地址（PUBLIC_BASE_URL）：检查情况记录表二维码将使用访问本系统时的地址，"
            "通过本机地址（localhost、127.0.0.1）访问时二维码不含网址。请在部署配置中设置 PUBLIC_BASE_URL。")


def verify_url(record_no: str) -> str:
    from urllib.parse import quote

    return public_base_url() + VERIFY_PATH.format(record_no=quote(record_no, safe=""))


def qr_payload(record_no: str) -> str:
    """The text in a record's QR code: its verification page's absolute URL."""
    return verify_url(record_no)


@functools.lru_cache(maxsize=4096)
def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code (error correction M, 4-module quiet zone), sized by CSS.

    The mask is fixed (pattern 2): any mask reads the same, and choosing the "best" of eight
    cost three quarters of a task's HTML (bench/records.py).  Cached: a task's PDF asks again
    for the same records' codes."""
    code = segno.make(text, error="m", micro=False, mask=QR_MASK)
    return str(code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None))


# ------------------------------------------------------------------ from the models


def _team_role_label(member: Any) -> str:
    role = getattr(member.role, "label", None)
    return str(role) if role else str(member.role)


def _team_lines(record: InspectionRecord, confirmations: dict[int, Confirmation]) -> tuple[Confirmation, ...]:
    """Every member whose confirmation the record needs, confirmed or not, then anyone else who
    confirmed (a member since replaced)."""
    from services.inspections import confirmers

    lines = []
    members = confirmers(record.task)
    for member in members:
        done = confirmations.get(member.id)
        person = member.inspector or member.auxiliary
        lines.append(done or Confirmation(name=person.name if person is not None else "",
                                          department=member.department.name, confirmed=""))
    listed = {m.id for m in members}
    lines += [c for member_id, c in confirmations.items() if member_id not in listed]
    return tuple(lines)


def record_view(record: InspectionRecord) -> RecordView:
    """The one coupling to models.inspections: what a record prints."""
    from models.plans import PlanKind

    task = record.task
    confirmations = []
    by_member: dict[int, Confirmation] = {}
    for c in record.confirmations:
        if c.record_lock_version != record.lock_version:
            continue  # a confirmation of an earlier content
        member = c.team_member
        person = member.inspector or member.auxiliary
        confirmations.append(Confirmation(
            name=person.name if person is not None else c.user.name,
            department=member.department.name,
            confirmed=cn_date(c.confirmed_at),
        ))
        by_member[member.id] = confirmations[-1]
    return RecordView(
        record_no=record.record_no,
        joint=task.plan.kind == PlanKind.JOINT,
        task_name=task.name,
        department=record.department.name,
        filled_on=cn_date(record.filled_on),
        inspectors=record.inspector_names,
        inspected_at=cn_datetime(record.inspected_at),
        method=record.method,
        subject_name=record.subject_name,
        uscc=record.uscc,
        district=record.district,
        license_no=record.license_no,
        legal_rep=record.legal_rep,
        address=record.address,
        phone=record.phone,
        items_text=record.items_text,
        findings=record.findings,
        result=record.result_label,
        result_note=record.result_note,
        signer_name=record.signer_name,
        signed_at=cn_date(record.signed_at),
        refused=bool(record.refused),
        refusal_witness=record.refusal_witness,
        refusal_recording=record.refusal_recording,
        refusal_note=record.refusal_note,
        lines=tuple(Line(x.check_item, x.content, x.outcome) for x in record.lines),
        confirmations=tuple(confirmations),
        team=_team_lines(record, by_member),
        status=record.status.label,
        version=record.version,
    )


def records_of_task(task: Task) -> list[InspectionRecord]:
    """A task's records in 记录编号 order, their lines and confirmations loaded in a few queries."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from models import InspectionRecord, RecordConfirmation, TeamMember, db

    return list(db.session.execute(
        select(InspectionRecord)
        .where(InspectionRecord.task_id == task.id)
        .options(
            selectinload(InspectionRecord.lines),
            selectinload(InspectionRecord.department),
            selectinload(InspectionRecord.confirmations)
            .selectinload(RecordConfirmation.team_member)
            .selectinload(TeamMember.inspector),
        )
        .order_by(InspectionRecord.record_no)
    ).scalars())


def notice_view(task: Task, task_object: TaskObject) -> NoticeView:
    """检查通知书 of one drawn object, from the task, its scheme, item, team and the object."""
    from services import inspection_prep, inspector_draws

    scheme = task.scheme
    item = task.item
    info = inspection_prep.object_info(task_object)
    name, address = info.name, info.address
    record = _first_record(task_object)
    if record is not None:  # the snapshot the inspectors opened wins over the registry's today
        name, address = record.subject_name or name, record.address or address
    departments = {td.department_id: td.department for td in task.departments}
    partners = "、".join(d.name for i, d in departments.items() if i != task.department_id)
    team = []
    for m in inspector_draws.active_members(task):
        person = m.inspector or m.auxiliary
        if person is None:
            continue
        team.append(TeamLine(
            name=person.name,
            department=m.department.name,
            role=_team_role_label(m),
            cert_no=getattr(m.inspector, "cert_no", "") if m.inspector else "",
        ))
    return NoticeView(
        task_name=task.name,
        subject_name=name,
        address=address,
        department=task.department.name,
        partners=partners,
        period=f"{cn_date(task.start_date)}至{cn_date(task.end_date)}",
        item_name=item.name,
        items=(scheme.content if scheme else "") or item.name,
        methods=(scheme.methods if scheme and scheme.methods else task.methods),
        basis=item.basis,
        requirements=scheme.requirements if scheme else "",
        team=tuple(team),
        issued_on=cn_date(_written_notice_date(task_object)),
        notice_no=f"{task.start_date.year}-TZ-{task.id:04d}-{task_object.id:06d}",
    )


def _first_record(task_object: TaskObject) -> InspectionRecord | None:
    from sqlalchemy import select

    from models import InspectionRecord, db

    return db.session.execute(
        select(InspectionRecord).where(InspectionRecord.task_object_id == task_object.id)
        .order_by(InspectionRecord.id).limit(1)
    ).scalar_one_or_none()


def _written_notice_date(task_object: TaskObject) -> datetime | None:
    from sqlalchemy import select

    from models import AdvanceNotice, db
    from models.inspections import NoticeMethod

    return db.session.execute(
        select(AdvanceNotice.notified_at)
        .where(AdvanceNotice.task_object_id == task_object.id, AdvanceNotice.method == NoticeMethod.WRITTEN)
        .order_by(AdvanceNotice.notified_at.desc()).limit(1)
    ).scalar_one_or_none()


# ------------------------------------------------------------------ HTML and PDF


def _check_form(form: str) -> str:
    if form not in FORMS:
        raise ValueError(f"记录表格式只能是 {'、'.join(FORMS)}：{form[:20]}")
    return form


def records_html(views: Sequence[RecordView], form: str = "a31", *, title: str = "") -> str:
    """One HTML document of ``views`` (one record per page group, a page break between)."""
    _check_form(form)
    docs = [{"view": v, "digest": v.digest, "url": verify_url(v.record_no), "qr": qr_svg(qr_payload(v.record_no))}
            for v in views]
    return pdf.render_html("pdf/records.html", docs=docs, form=form,
                           title=title or (docs[0]["view"].record_no if len(docs) == 1 else "检查情况记录表"))


def notice_html(view: NoticeView) -> str:
    return pdf.render_html("pdf/notice.html", notice=view, title=NOTICE_TITLE)


def write_pdf(html: str) -> bytes:
    """``html`` as a PDF with fixed metadata: the same HTML gives the same bytes."""
    return pdf.write_deterministic(html)


def record_pdf(record: InspectionRecord, form: str = "a31") -> bytes:
    """One record's PDF, from the cache when its HTML was rendered before (infrastructure/pdf_batch.py)."""
    return pdf_batch.render_all([records_html([record_view(record)], form)])[0]


def notice_pdf(task: Task, task_object: TaskObject) -> bytes:
    return write_pdf(notice_html(notice_view(task, task_object)))
