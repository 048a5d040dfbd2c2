"""表17 按模板导入: the A.5 template (执法检查人员导入模板) or the Chongqing specification's C.1
(执法人员名录库样表: 序号, 姓名, 电话, 所属区县, 所属部门, 人员类别, 业务专长), as one import kind.

The clerk chooses the template on the upload page or lets the header titles tell; the template
found is kept in the batch's context, so the confirmation reads the file the same way.  The
rows are checked in services/imports/inspector_rows.py.  A valid row updates the entry it
names (表18) or runs 表17 by template, which opens or matches its account; the confirmation's
page lists the entries and, once, the initial passwords of the accounts opened (``shown_once``:
never stored in the batch).

Each row runs 表17 (or 表18) as its own process instance, about 0.1–0.2 s, and each new
account costs an argon2 hash (~0.2 s): the limits keep a confirmation inside a worker's request
timeout (bench/inspectors.py).  A larger directory is imported in several files.

The file has two keys (A.5: 身份证号 and 电话号码; C.1: 电话), so the kind marks repeats itself
(inspector_rows, with the framework's message) and declares no ``key_column``.
"""

from __future__ import annotations

from typing import Any

from infrastructure.excel import ExcelError, Row, read_table
from models import ImportBatch, User
from services import inspector_enrolment
from services import inspectors as svc
from services.imports.framework import ImportKind, ImportRow, UploadOption
from services.imports.inspector_rows import Entry, check_a5, check_c1
from services.imports.registry import register
from services.templates_catalogue import TEMPLATES, Template

A5: Template = TEMPLATES["A.5"]
C1: Template = TEMPLATES["C.1"]
IMPORT_TEMPLATES = ("A.5", "C.1")  # the templates the directory reads; "" = by the header
MAX_IMPORT_ROWS = 100
MAX_NEW_ACCOUNTS = 100
TEMPLATE_NOTES = {
    "A.5": "A.5 执法检查人员导入模板（按身份证号匹配名录库中的人员）",
    "C.1": "C.1 执法人员名录库样表（按电话匹配名录库中的人员）",
}


def read_upload(data: bytes, code: str = "") -> tuple[Template, list[Row]]:
    """The rows of an upload read against ``code`` (A.5 or C.1), or, without one, against the
    template whose header titles the file carries."""
    def read(template: Template) -> list[Row]:
        return read_table(data, template, csv_ok=True, max_rows=MAX_IMPORT_ROWS, formula_rows=True)

    if code in IMPORT_TEMPLATES:
        return TEMPLATES[code], read(TEMPLATES[code])
    try:
        return A5, read(A5)
    except ExcelError as first:
        try:
            return C1, read(C1)
        except ExcelError as second:
            if str(second).startswith("文件与模板不一致"):  # neither header: report A.5's findings
                raise ExcelError(
                    str(first).replace("文件与模板不一致", "文件与 A.5 执法检查人员导入模板不一致", 1)
                    + f"（也不是 C.1 {C1.title}：其列名应为" + "、".join(C1.titles) + "）",
                    first.problems,
                ) from None
            raise second from None


class InspectorImport(ImportKind):
    name = "inspectors"
    title = "按模板导入执法检查人员"
    template = A5
    max_rows = MAX_IMPORT_ROWS
    name_column = "姓名"
    denied = "只有上传该文件的经办人可以导入"
    variants = (("C.1", "C.1 执法人员名录库样表（序号、姓名、电话、所属区县、所属部门、人员类别、业务专长）"),)
    options = (UploadOption("template", "模板", choices=(
        ("", "按列名自动识别"), ("A.5", "A.5 执法检查人员导入模板"), ("C.1", "C.1 执法人员名录库样表"))),)
    steps = (
        "完成新增操作：平台按身份证号或手机号码判断是否有系统操作账号，有账号的开通双随机检查权限，"
        f"没有的新增账号并自动分配执法人员角色（每次最多新增 {MAX_NEW_ACCOUNTS} 个账号）。",
        "已在名录库中的人员更新其信息，不会重复新增：A.5 按身份证号匹配，C.1 按电话在本区县的名录库中匹配"
        "（C.1 没有身份证号，新增的人员可在“修改”中补填）。",
        "填写 A.5 时，请在“监督检查（执法）事项”中指定本人的双随机检查事项。",
    )
    shown_once = ("shown",)  # the entries added and their initial passwords: on the page, never stored

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return svc.can_edit(actor)

    def can_use(self, actor: User, batch: ImportBatch) -> bool:
        """A batch belongs to the clerk who uploaded it."""
        return batch.kind == self.name and batch.created_by_id == actor.id and svc.can_edit(actor)

    def template_for(self, variant: str) -> Template:
        return C1 if variant == "C.1" else A5

    def read_options(self, actor: User, form: dict[str, Any]) -> dict[str, Any]:
        code = form.get("template", "")
        return {"template": code if code in IMPORT_TEMPLATES else ""}

    def read(self, actor: User, data: bytes, context: dict[str, Any]) -> list[Row]:
        """Read against the chosen template or the one the header names, and keep which."""
        template, rows = read_upload(data, context.get("template", ""))
        context["template"] = template.code
        return rows

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        items = check_c1(actor, rows) if context.get("template") == "C.1" else check_a5(actor, rows)
        if sum(1 for i in items if i.payload is not None and i.payload.new_account) > MAX_NEW_ACCOUNTS:
            raise ExcelError(f"本文件将新开通超过{MAX_NEW_ACCOUNTS}个系统操作账号，请拆分后分批导入")
        return items

    def check_extra(self, rows: list[ImportRow]) -> dict[str, Any]:
        entries: list[Entry] = [r.payload for r in rows]
        return {
            "create": sum(1 for e in entries if e.target is None),
            "update": sum(1 for e in entries if e.target is not None),
            "new_accounts": sum(1 for e in entries if e.new_account),
        }

    def check_note(self, check: dict[str, Any]) -> str:
        template = TEMPLATE_NOTES.get((check.get("context") or {}).get("template", ""), "")
        return (f"（模板：{template}；新增 {check.get('create', 0)} 人，其中约 {check.get('new_accounts', 0)} 人"
                f"需新增系统操作账号；更新已在名录库中的 {check.get('update', 0)} 人）")

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        """完成新增操作: a new entry runs 表17 by template, a known one is updated (表18)."""
        added: list[inspector_enrolment.AddResult] = []
        updated = unchanged = 0
        for item in rows:
            entry: Entry = item.payload
            source = f"导入批次{batch.id}第{item.number}行"
            if entry.target is None:
                added.append(inspector_enrolment.add_inspector(actor, entry.values,
                                                               template=f"{batch.filename}（{source}）"))
            elif svc.update_values(actor, entry.target, entry.values, source=source):
                updated += 1
            else:
                unchanged += 1
        issued = [p for a in added for p in a.issued]
        return {
            "模板": context.get("template") or A5.code, "新增": len(added), "更新": updated, "无变化": unchanged,
            "开通权限": sum(1 for a in added if not a.issued), "新开通账号": len(issued),
            "shown": {"results": added, "issued": issued},
        }

    def result_page(self, result: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        return "inspectors/added.html", {"result": result, **result.get("shown", {})}

    def result_text(self, result: dict[str, Any]) -> str:
        return (f"已导入：新增 {result.get('新增', 0)} 人，更新 {result.get('更新', 0)} 人，"
                f"没有变化 {result.get('无变化', 0)} 人，跳过问题行 {result.get('跳过问题行', 0)} 行")

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "执法检查人员名录库", "inspectors.index", {}


KIND = register(InspectorImport())
