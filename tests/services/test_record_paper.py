"""The paper forms as printed (issue 13, item 8): one 检查组成员签字确认 line per team member, 见证人
only after a refusal, A.3.1 printing 记录情况, the 检查通知书's 检查事项 and 检查依据 fields, QR codes
that never point at a loopback address (the administrators' warning while PUBLIC_BASE_URL is
unset: tests/blueprints/admin/test_public_url_warning.py; the A3 ledger's 填报人 / 审核人 / 日期
block: tests/services/test_ledgers.py)."""

from __future__ import annotations

import logging
import shutil
import subprocess

import pytest

from models import CheckItem, db
from services import inspection_review
from services import inspections as svc
from services import record_pdf as rp
from tests.factories.inspections import (
    HEALTH_NAME,
    LEADER_NAME,
    MEMBER_NAME,
    dispatched,
    open_all,
    record_form,
)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout
    return "".join(out.decode("utf-8").split())


@pytest.fixture()
def no_public_url(app):
    old = app.config.get("PUBLIC_BASE_URL")
    app.config["PUBLIC_BASE_URL"] = ""
    yield
    app.config["PUBLIC_BASE_URL"] = old


def _filled(org, *, confirm_all: bool = False):
    """The 发起部门's record of a joint task (three members to confirm), filled by the leader and
    confirmed by the leader only (unless ``confirm_all``)."""
    ready = dispatched(org, joint=True, objects=1)
    record = next(r for r in open_all(ready) if r.department_id == ready.task.department_id)
    svc.save_record(ready.leader, record, record_form(subject_name=record.subject_name), record.lock_version)
    svc.sign(ready.leader, record, record.lock_version, signer_name="张店长")
    members = svc.confirmers(ready.task) if confirm_all else [m for m in svc.confirmers(ready.task)
                                                              if m.inspector.user_id == ready.leader.id]
    for m in members:
        inspection_review.confirm(m.inspector.user, record, record.lock_version)
    db.session.commit()
    return ready, record


def test_one_confirmation_line_per_team_member(org, session, no_public_url):
    ready, record = _filled(org)
    assert len(svc.confirmers(ready.task)) == 3
    view = rp.record_view(record)
    assert len(view.confirmations) == 1
    assert {c.name for c in view.team} == {LEADER_NAME, MEMBER_NAME, HEALTH_NAME}
    for form in ("a31", "f1"):
        block = _text(rp.record_pdf(record, form)).split("检查组成员签字确认")[1]
        for name in (LEADER_NAME, MEMBER_NAME, HEALTH_NAME):
            assert name in block, (form, name)
        assert block.count("甲区") >= 3  # each line names the member's unit
    # the team lines are state, not content: the digest is unchanged by who is on the team
    assert "team" not in view.content()


def test_witness_prints_only_after_a_refusal(org, session, no_public_url):
    ready, signed = _filled(org)
    text = _text(rp.record_pdf(signed, "a31"))
    assert "张店长" in text and "见证人" not in text
    svc.refuse(ready.leader, signed, signed.lock_version, note="负责人拒绝签字", witness="社区网格员刘见证")
    text = _text(rp.record_pdf(signed, "a31"))
    assert "被检查对象拒绝签字（盖章）" in text and "见证人：社区网格员刘见证" in text


def test_a31_prints_findings_and_items_f1_keeps_its_columns(org, session, no_public_url):
    _, record = _filled(org, confirm_all=True)
    text = _text(rp.record_pdf(record, "a31"))
    # A.3.1's columns, then the record's 记录情况 (it was missing from the A.3.1 print)
    assert "检查项目检查内容检查结果" in text
    assert "记录情况：现场检查未发现问题" in text
    assert "检查事项：餐饮服务食品安全监督检查" in text
    f1 = _text(rp.record_pdf(record, "f1"))
    for a, b in (("统一社会信用代码", "所属区县"), ("证件（照）号码", "法定代表人"), ("检查地址", "联系电话"),
                 ("检查事项", "记录情况")):
        assert a in f1 and b in f1 and f1.index(a) < f1.index(b)


def test_notice_prints_items_and_basis_in_their_own_fields(org, session, no_public_url):
    ready = dispatched(org, joint=True, objects=1)
    task = ready.task
    item = db.session.get(CheckItem, task.item_id)
    item.basis = "《中华人民共和国食品安全法》第一百一十条"
    if task.scheme is not None:
        task.scheme.content = "食品经营许可、从业人员健康管理"
    db.session.flush()
    obj = svc.task_objects(task)[0]
    text = _text(rp.notice_pdf(task, obj))
    assert f"检查事项{item.name}" in text
    assert "检查依据《中华人民共和国食品安全法》第一百一十条" in text
    assert f"抽查任务{task.name}" in text
    if task.scheme is not None:
        assert "检查内容食品经营许可、从业人员健康管理" in text


@pytest.mark.parametrize("host", ["http://127.0.0.1:5000/", "http://localhost/", "http://[::1]:8000/"])
def test_qr_code_never_points_at_a_loopback_address(app, org, session, no_public_url, host, tmp_path, caplog):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    _, record = _filled(org, confirm_all=True)
    with app.test_request_context("/", base_url=host), caplog.at_level(logging.WARNING):
        payload = rp.qr_payload(record.record_no)
        data = rp.record_pdf(record)
    assert payload == f"/public/records/{record.record_no}/verify"
    assert any("PUBLIC_BASE_URL" in r.getMessage() for r in caplog.records)
    path = tmp_path / "q.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True)
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]
    assert found == [payload]
    for loopback in ("127.0.0.1", "localhost", "::1"):
        assert loopback not in found[0] and loopback not in _text(data)
    # any other address the request came in on is printed; PUBLIC_BASE_URL wins over both
    with app.test_request_context("/", base_url="http://10.20.30.40:8080/"):
        assert rp.qr_payload(record.record_no) == f"http://10.20.30.40:8080/public/records/{record.record_no}/verify"
    app.config["PUBLIC_BASE_URL"] = "https://zhjg.example.cn/"
    with app.test_request_context("/", base_url=host):
        assert rp.qr_payload(record.record_no).startswith("https://zhjg.example.cn/public/records/")
