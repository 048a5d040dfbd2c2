"""/imports/<kind>: a kind declared here, in the test, gets working template, upload, preview,
annotated copy, confirm and discard pages without a route or template of its own."""

from __future__ import annotations

import io
from collections.abc import Hashable
from typing import Any

import pytest
from openpyxl import load_workbook

from infrastructure.excel import Column, Row
from models import ImportBatch, ImportStatus
from services.imports import kinds
from services.imports.framework import ImportKind, ImportRow
from services.templates_catalogue import Template
from tests.conftest import csrf_token, sign_in
from tests.factories.import_kinds import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
APPLIED: list[tuple[str, int]] = []


class NotesImport(ImportKind):
    name = "test_notes"
    title = "导入测试记录"
    template = Template("T.1", "测试记录模板", "测试", (Column("名称", required=True), Column("数量", kind="decimal")))
    name_column = key_column = "名称"

    def can_import(self, actor, context=None) -> bool:
        return actor.department_id is not None

    def check(self, actor, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        items = []
        for row in rows:
            if row.valid and row["数量"] is not None and row["数量"] < 0:
                row.add_error("数量", "不能为负数")
            items.append(ImportRow(row, (row["名称"], row["数量"]) if row.valid else None))
        return items

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return item.row.get("名称") or None

    def apply(self, actor, batch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        APPLIED.extend(r.payload for r in rows)
        return {"新增": len(rows)}

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "首页", "main.index", {}


@pytest.fixture
def notes():
    kind = kinds.register(NotesImport())
    APPLIED.clear()
    yield kind
    kinds.unregister(kind.name)


def test_a_declared_kind_gets_every_page(client, org, session, notes):
    sign_in(client, org.clerk_a)
    resp = client.get("/imports/test_notes/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    page = client.get("/imports/test_notes/").get_data(as_text=True)
    assert "导入测试记录" in page and "T.1" in page
    token = csrf_token(client, "/imports/test_notes/")
    data = workbook(notes, [["甲", 1], ["乙", -2], ["丙", 3]])
    resp = client.post("/imports/test_notes/", data={"csrf_token": token, "file": (io.BytesIO(data), "记录.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    preview = resp.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "有效 <strong class=\"ok\">2</strong>" in html and "第3行" in html and "数量：不能为负数" in html
    batch_id = int(preview.rstrip("/").rsplit("/", 1)[-1])
    annotated = client.get(f"/imports/test_notes/{batch_id}/errors")
    ws = load_workbook(io.BytesIO(annotated.data)).active
    assert ws.cell(row=3, column=3).value == "数量：不能为负数"
    resp = client.post(f"/imports/test_notes/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 400 and APPLIED == []
    # another user neither sees nor uses the batch
    sign_in(client, org.clerk_b)
    assert client.get(preview).status_code == 404
    assert client.post(f"/imports/test_notes/{batch_id}/confirm", data={"csrf_token": csrf_token(client),
                                                                       "mode": "valid"}).status_code == 404
    sign_in(client, org.clerk_a)
    resp = client.post(f"/imports/test_notes/{batch_id}/confirm", data={"csrf_token": token, "mode": "valid"})
    assert resp.status_code == 302 and APPLIED == [("甲", 1), ("丙", 3)]
    assert "已导入：新增 2" in client.get(preview).get_data(as_text=True)
    assert session.get(ImportBatch, batch_id).status == ImportStatus.IMPORTED.value


def test_bad_file_and_discard(client, org, session, notes):
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/imports/test_notes/")
    resp = client.post("/imports/test_notes/", data={"csrf_token": token, "file": (io.BytesIO(b"x"), "a.doc")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "不支持" in resp.get_data(as_text=True)
    data = workbook(notes, [["甲", 1]])
    resp = client.post("/imports/test_notes/", data={"csrf_token": token, "file": (io.BytesIO(data), "记录.xlsx")},
                       content_type="multipart/form-data")
    batch_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    resp = client.post(f"/imports/test_notes/{batch_id}/discard", data={"csrf_token": token})
    assert resp.status_code == 302 and session.get(ImportBatch, batch_id).status == ImportStatus.DISCARDED.value
    assert "已放弃" in client.get(f"/imports/test_notes/{batch_id}").get_data(as_text=True)
    assert client.get("/imports/no_such_kind/").status_code == 404


def test_a_clash_at_the_confirmation_answers_409_and_writes_nothing(client, org, session, notes, monkeypatch):
    """Another user's write between the preview and the confirmation (a unique key taken
    meanwhile) is a 409 with the way out, not a server error; the batch stays pending."""
    from sqlalchemy.exc import IntegrityError

    def clash(*_args, **_kwargs):
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/imports/test_notes/")
    data = workbook(notes, [["甲", 1]])
    resp = client.post("/imports/test_notes/", data={"csrf_token": token, "file": (io.BytesIO(data), "记录.xlsx")},
                       content_type="multipart/form-data")
    batch_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    monkeypatch.setattr(notes, "apply", clash)
    resp = client.post(f"/imports/test_notes/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    assert resp.status_code == 409 and "重新校验" in resp.get_data(as_text=True)
    assert session.get(ImportBatch, batch_id).status == ImportStatus.PENDING.value


def test_a_result_page_shows_what_apply_gives_once_and_the_batch_keeps_only_the_counts(
        client, org, session, notes, monkeypatch):
    from services import import_batches

    SHOWN = "shown"

    def apply(actor, batch, rows, context):
        return {"新增": len(rows), SHOWN: {"results": [], "issued": [
            type("Issued", (), {"account": "zhang", "name": "张三", "department": "甲区", "password": "Secret-123"})()]}}

    monkeypatch.setattr(notes, "apply", apply)
    monkeypatch.setattr(notes, "shown_once", (SHOWN,))
    monkeypatch.setattr(notes, "result_page",
                        lambda result: ("inspectors/added.html", {"result": result, **result.get(SHOWN, {})}))
    sign_in(client, org.clerk_a)
    token = csrf_token(client, "/imports/test_notes/")
    data = workbook(notes, [["甲", 1]])
    resp = client.post("/imports/test_notes/", data={"csrf_token": token, "file": (io.BytesIO(data), "记录.xlsx")},
                       content_type="multipart/form-data")
    batch_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    resp = client.post(f"/imports/test_notes/{batch_id}/confirm", data={"csrf_token": token, "mode": "all"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Secret-123" in html and "已导入：新增 1 人" in html
    batch = session.get(ImportBatch, batch_id)
    assert "Secret-123" not in batch.result and SHOWN not in import_batches.batch_summary(batch)
    assert "Secret-123" not in client.get(f"/imports/test_notes/{batch_id}").get_data(as_text=True)
