"""services/record_pdf.py: the A.3/A.3.1 and F.1 record PDFs, a task's records in one PDF and the
检查通知书 — every field and rare name character in the text, the shipped font embedded, page
numbers, the QR code decoded from the printed page, and the same record giving the same bytes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from infrastructure import pdf_batch
from infrastructure.errors import Invalid
from models import CheckItem, db
from services import inspections as svc
from services import record_pdf as rp
from services import task_records_pdf as task_pdf
from tests.factories.inspections import HEALTH_NAME, LEADER_NAME, MEMBER_NAME, complete, dispatched, open_all

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")

RARE = "昇𬌗堃喆"
SUBJECT = "成都市昇𬌗堃喆餐饮有限公司"


def _run(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def _text(data: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return "".join(_run("pdftotext", "-layout", str(path), "-").split())


def _fonts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "f.pdf"
    path.write_bytes(data)
    return _run("pdffonts", str(path)).splitlines()[2:]


def _pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    return int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(path))).group(1))


def _filled(org, *, joint: bool = True, objects: int = 1):
    ready = dispatched(org, joint=joint, objects=objects)
    records = open_all(ready)
    for r in records:
        editor = ready.leader if r.department_id == ready.task.department_id else ready.health
        complete(ready, r, editor=editor, subject_name=SUBJECT, legal_rep="张喆", license_no="510108600012345",
                 address="成都市成华区建设路１号", phone="028-84561234", uscc="91510108MA6C12345X",
                 line_item=["食品经营许可", "从业人员健康管理"], line_content=["许可证在有效期内堃", "健康证明"],
                 line_outcome=["符合", "符合"])
    return ready, records


@pytest.fixture()
def public_url(app):
    old = app.config.get("PUBLIC_BASE_URL")
    app.config["PUBLIC_BASE_URL"] = "https://zhjg.example.cn"
    yield "https://zhjg.example.cn"
    app.config["PUBLIC_BASE_URL"] = old


def test_a31_record_prints_every_field_embeds_the_font_and_is_deterministic(org, session, tmp_path, public_url):
    ready, records = _filled(org)
    record = next(r for r in records if r.department_id == org.health_a.id)
    data = rp.record_pdf(record, "a31")
    text = _text(data, tmp_path)
    view = rp.record_view(record)
    for word in ("部门联合“双随机、一公开”各部门事项检查情况记录表", "填报部门：甲区卫生健康局", "填报时间：2026年5月10日",
                 f"检查人员：{LEADER_NAME}、{MEMBER_NAME}", "检查项目", "检查内容", "检查结果", "食品经营许可",
                 "许可证在有效期内堃", "从业人员健康管理", "健康证明", "符合", SUBJECT, "检查方式：实地核查",
                 "检查结论：未发现问题", "检查人员签字", "被检查单位（人）签字（盖章）", "张店长",
                 "检查组成员签字确认", HEALTH_NAME, f"记录编号：{record.record_no}", view.digest,
                 f"{public_url}/public/records/{record.record_no}/verify", "第1页共1页"):
        assert word in text, word
    for ch in RARE:
        assert ch in text
    fonts = _fonts(data, tmp_path)
    assert fonts and all("ZHJG-Noto-Serif-CJK-SC" in line for line in fonts)  # the shipped font, nothing else
    assert all(line.split()[-5] == "yes" for line in fonts)  # emb
    assert rp.record_pdf(record, "a31") == data  # same record, same bytes
    assert b"/CreationDate" not in data


def test_a3_title_for_a_single_department_task(org, session, tmp_path, public_url):
    ready, records = _filled(org, joint=False)
    text = _text(rp.record_pdf(records[0]), tmp_path)
    assert "“双随机、一公开”检查情况记录表" in text and "部门联合" not in text.split("填报部门")[0]


def test_f1_record_prints_its_fields(org, session, tmp_path, public_url):
    ready, records = _filled(org)
    record = records[0]
    text = _text(rp.record_pdf(record, "f1"), tmp_path)
    for word in ("部门联合“双随机、一公开”抽查情况记录表", "主体名称", SUBJECT, "统一社会信用代码", "91510108MA6C12345X",
                 "所属区县", "甲区", "证件（照）号码", "510108600012345", "法定代表人", "张喆", "检查地址",
                 "成都市成华区建设路１号", "联系电话", "028-84561234", "检查事项", "记录情况", "餐饮服务食品安全监督检查",
                 "现场检查未发现问题", "食品经营许可：许可证在有效期内堃", "被检查单位（人）签字（盖章）", "第1页共1页",
                 rp.record_view(record).digest):
        assert word in text, word


def test_digest_covers_the_content_not_the_form_or_status(org, session, public_url):
    ready, records = _filled(org)
    record = records[0]
    before = rp.record_view(record)
    assert re.fullmatch(r"[0-9a-f]{64}", before.digest)
    assert before.digest == rp.content_digest(before.content())
    html_a, html_f = rp.records_html([before], "a31"), rp.records_html([before], "f1")
    assert before.digest in html_a and before.digest in html_f
    record.status = record.status.__class__.SUBMITTED  # state, not content
    assert rp.record_view(record).digest == before.digest
    record.lines[0].outcome = "不符合"
    assert rp.record_view(record).digest != before.digest
    db.session.rollback()


def test_qr_code_decodes_to_the_verification_url(org, session, tmp_path, public_url):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    ready, records = _filled(org)
    record = records[0]
    url = rp.qr_payload(record.record_no)
    assert url == f"{public_url}/public/records/{record.record_no}/verify"
    path = tmp_path / "q.pdf"
    path.write_bytes(rp.record_pdf(record))
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True)
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]
    assert found == [url]


def test_task_bundle_is_one_pdf_with_every_record(org, session, tmp_path, public_url, monkeypatch):
    monkeypatch.setattr(pdf_batch, "cache_root", lambda: tmp_path / "cache")
    ready, records = _filled(org, objects=2)
    assert len(records) == 4  # 2 objects × (发起部门, 参与部门)
    data = task_pdf.build(task_pdf.bundle(ready.task, "a31"), workers=1)
    pages = _pages(data, tmp_path)
    assert pages >= 4
    text = _text(data, tmp_path)
    for r in records:
        assert f"记录编号：{r.record_no}" in text and rp.record_view(r).digest in text
    # each record numbers its own pages: 第1页共n页 once per record
    assert len(re.findall(r"第1页共\d+页", text)) == len(records)
    fonts = _fonts(data, tmp_path)
    assert fonts and all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts)  # embedded subsets
    with pytest.raises(Invalid):
        task_pdf.bundle(ready.task, "a31", records=[])
    with pytest.raises(ValueError):
        rp.records_html([rp.record_view(records[0])], "xls")


def test_notice_names_entity_team_period_items_and_basis(org, session, tmp_path, public_url):
    ready = dispatched(org, joint=True, objects=1)
    task = ready.task
    item = db.session.get(CheckItem, task.item_id)
    item.basis = "《中华人民共和国食品安全法》第一百一十条"
    db.session.flush()
    obj = svc.task_objects(task)[0]
    view = rp.notice_view(task, obj)
    assert view.team and {m.name for m in view.team} >= {HEALTH_NAME}
    text = _text(rp.notice_pdf(task, obj), tmp_path)
    for word in ("“双随机、一公开”抽查检查通知书", view.subject_name, task.department.name, "甲区卫生健康局",
                 view.period, item.name, "《中华人民共和国食品安全法》第一百一十条", "检查组成员", "执法证编号", "组长",
                 HEALTH_NAME, "第1页共1页"):
        assert word.replace(" ", "") in text, word
    for m in view.team:
        assert m.name in text and (not m.cert_no or m.cert_no in text)
