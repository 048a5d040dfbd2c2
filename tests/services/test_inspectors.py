"""执法检查人员名录库: 表17 (add, account matching, platform steps), 表18 (edit, delete), the A.5
import and eligible_inspectors."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from infrastructure.errors import Forbidden, Invalid
from infrastructure.excel import ExcelError
from models import AuditEvent, ImportStatus, Inspector, ProcessInstance, User
from models.inspectors import DutyStatus
from models.org import UserStatus
from models.roles import Role
from models.workflow import InstanceStatus
from services import import_batches, inspector_enrolment, inspector_search
from services import inspectors as svc
from services.imports import framework
from services.imports.inspectors import KIND as IMPORT
from services.templates_catalogue import TEMPLATES
from tests.factories.inspector_rows import (
    ID_3,
    ID_MAN,
    ID_WOMAN,
    TODAY,
    a5,
    a5_row,
    c1,
    c1_row,
    form,
    make_id,
)


def store(actor, filename: str, data: bytes, code: str = ""):
    """Upload an A.5 or C.1 file (``code``, or "" for the template its header names)."""
    return framework.upload(IMPORT, actor, filename, data, {"template": code})


def confirm(actor, batch, *, valid_only: bool) -> dict:
    return framework.confirm(IMPORT, actor, batch, valid_only=valid_only)


def steps(instance: ProcessInstance) -> list[str]:
    return [h.step_name for h in instance.history if h.action != "start"]


# ------------------------------------------------------------------ 表17


def test_account_matched_by_id_number_gets_the_permission(org, session):
    org.inspector_a.id_number = ID_MAN
    org.inspector_a.roles.clear()
    session.flush()
    result = inspector_enrolment.create_inspector(org.clerk_a, form(org))
    entry, inst = result.inspector, result.instance
    assert inst.status == InstanceStatus.COMPLETED
    assert steps(inst) == ["选择新增方式", "完成新增操作", "判断是否有系统操作账号", "开通双随机检查权限"]
    assert "按身份证号匹配到账号" in inst.history[3].comment
    assert entry.user_id == org.inspector_a.id and entry.random_permission
    assert org.inspector_a.has_role(Role.INSPECTOR)
    assert result.issued == []
    assert entry.sex == "男" and entry.specialities == ["食品安全", "特种设备"]
    assert session.query(AuditEvent).filter_by(object_type="inspector", object_id=str(entry.id)).count() >= 2


def test_account_matched_by_mobile(org, session):
    org.inspector_a.mobile = "13900000001"
    session.flush()
    result = inspector_enrolment.create_inspector(org.clerk_a, form(org))
    assert result.inspector.user_id == org.inspector_a.id
    assert "按手机号码匹配" in result.instance.history[3].comment


def test_no_account_creates_one_and_waits_for_the_role_decision(org, session):
    result = inspector_enrolment.create_inspector(org.clerk_a, form(org))
    inst, entry = result.instance, result.inspector
    assert result.waiting_for_role and inst.current_step == "decide_role"
    assert steps(inst)[-1] == "新增系统操作账号"
    [issued] = result.issued
    assert issued.account == "13900000001" and len(issued.password) >= 8
    user = session.get(User, issued.user_id)
    assert user.id_number == ID_MAN and user.must_change_password and user.role_codes == set()
    assert entry.user_id == user.id and entry.random_permission
    # the leader of another district cannot decide; the clerk can
    assert inspector_enrolment.role_step(org.clerk_b, entry) is None
    inspector_enrolment.decide_role(org.clerk_a, entry, assign=True)
    assert inst.status == InstanceStatus.COMPLETED
    assert steps(inst)[-2:] == ["判断是否分配角色", "分配角色"]
    assert user.has_role(Role.INSPECTOR)


def test_declining_the_role_ends_the_process(org, session):
    result = inspector_enrolment.create_inspector(org.clerk_a, form(org))
    inspector_enrolment.decide_role(org.clerk_a, result.inspector, assign=False)
    assert result.instance.status == InstanceStatus.COMPLETED
    assert not result.inspector.user.has_role(Role.INSPECTOR)
    with pytest.raises(Invalid):
        inspector_enrolment.decide_role(org.clerk_a, result.inspector, assign=True)


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"id_number": ID_MAN[:17] + ("0" if ID_MAN[17] != "0" else "1")}, "id_number", "校验"),
        ({"sex": "女"}, "sex", "不符"),
        ({"mobile": "2880000"}, "mobile", "手机"),
        ({"cert_valid_from": "2025-01-01", "cert_valid_to": "2024-01-01"}, "cert_valid_to", "不得早于"),
        ({"cert_valid_to": "2025-02-30"}, "cert_valid_to", "不存在"),
        ({"category": "临时工"}, "category", "应为以下之一"),
        ({"name": ""}, "name", "必填"),
    ],
)
def test_field_rules(org, session, over, field, message):
    with pytest.raises(Invalid) as exc:
        inspector_enrolment.create_inspector(org.clerk_a, form(org, **over))
    assert exc.value.field == field and message in exc.value.message
    assert session.query(Inspector).count() == 0


def test_a_mobile_belongs_to_one_entry(org, session):
    inspector_enrolment.create_inspector(org.clerk_a, form(org))
    with pytest.raises(Invalid, match="另一人使用") as exc:
        inspector_enrolment.create_inspector(org.clerk_a, form(org, id_number=ID_WOMAN, name="刘芳"))
    assert exc.value.field == "mobile"
    _, check = store(org.clerk_a, "a.xlsx", a5([a5_row(1, "刘芳", ID_WOMAN, "13900000001")]))
    assert "另一人使用" in " ".join(check.errors.messages())


def test_department_outside_scope_and_roles(org, session):
    with pytest.raises(Invalid):
        inspector_enrolment.create_inspector(org.clerk_a, form(org, department_id=org.bureau_b.id))
    with pytest.raises(Forbidden):
        inspector_enrolment.create_inspector(org.leader_a, form(org))


def test_duplicate_refused_and_deleted_entry_revived(org, session):
    first = inspector_enrolment.create_inspector(org.clerk_a, form(org)).inspector
    with pytest.raises(Invalid, match="已在执法检查人员名录库中"):
        inspector_enrolment.create_inspector(org.clerk_a, form(org, name="另一个"))
    svc.delete_inspector(org.clerk_a, first, "entry")
    again = inspector_enrolment.create_inspector(org.clerk_a, form(org, name="陈志强（返聘）"))
    assert again.inspector.id == first.id and again.revived and again.inspector.active


# ------------------------------------------------------------------ 表18


def test_edit_runs_table_18_and_keeps_role_and_permission(org, session):
    entry = inspector_enrolment.create_inspector(org.clerk_a, form(org)).inspector
    assert svc.update_inspector(org.clerk_a, entry, form(org)) == {}
    assert session.query(ProcessInstance).filter_by(process_table=18).count() == 0
    changes = svc.update_inspector(org.clerk_a, entry, form(org, duty="off", post="科员", specialities="计量"))
    assert changes["在岗状态"] == ["在岗", "不在岗"] and changes["业务专长"] == ["食品安全、特种设备", "计量"]
    inst = session.query(ProcessInstance).filter_by(process_table=18).one()
    assert steps(inst) == ["选择拟维护人员", "判断修改/删除", "修改执法检查人员"]
    assert inst.status == InstanceStatus.COMPLETED
    assert entry.random_permission and entry.duty == DutyStatus.OFF


def test_delete_scopes(org, session, make_user):
    entry = inspector_enrolment.create_inspector(org.clerk_a, form(org)).inspector
    user = entry.user
    inspector_enrolment.decide_role(org.clerk_a, entry, assign=True)
    with pytest.raises(Invalid):
        svc.delete_inspector(org.clerk_a, entry, "nonsense")
    inst = svc.delete_inspector(org.clerk_a, entry, "role")
    assert steps(inst) == ["选择拟维护人员", "判断修改/删除", "确认是否删除", "删除执法检查人员"]
    assert not entry.active and entry.user_id is None and not user.has_role(Role.INSPECTOR)
    assert user.status == UserStatus.ACTIVE
    actions = [e.action for e in session.query(AuditEvent).filter(AuditEvent.object_id == str(user.id))]
    assert "revoke_role" in actions

    other = inspector_enrolment.create_inspector(org.clerk_a, form(org, id_number=ID_WOMAN, mobile="13900000002", name="刘芳")).inspector
    account = other.user
    svc.delete_inspector(org.clerk_a, other, "account")
    assert account.status == UserStatus.DISABLED

    third = inspector_enrolment.create_inspector(org.clerk_a, form(org, id_number=ID_3, mobile="13900000003", name="黄雨涵")).inspector
    kept = third.user
    svc.delete_inspector(org.clerk_a, third, "entry")
    assert kept.status == UserStatus.ACTIVE and not third.active
    with pytest.raises(Invalid):
        svc.delete_inspector(org.clerk_a, third, "entry")


# ------------------------------------------------------------------ eligible_inspectors


def test_eligible_inspectors(org, session):
    ok = inspector_enrolment.create_inspector(org.clerk_a, form(org)).inspector
    off = inspector_enrolment.create_inspector(
        org.clerk_a, form(org, id_number=ID_WOMAN, mobile="13900000002", name="刘芳", duty="off")
    ).inspector
    expired = inspector_enrolment.create_inspector(
        org.clerk_a,
        form(org, id_number=ID_3, mobile="13900000003", name="黄雨涵", cert_valid_to=(TODAY - timedelta(days=1)).isoformat(),
             specialities="计量", category="从事日常监管工作的人员"),
    ).inspector
    # 判断是否分配角色 still open: an account without the 执法人员 role is not drawn (issue 13)
    assert inspector_search.eligible_inspectors(org.bureau_a, TODAY) == []
    for entry in (ok, off, expired):
        inspector_enrolment.decide_role(org.clerk_a, entry, assign=True)
    assert [i.id for i in inspector_search.eligible_inspectors(org.bureau_a, TODAY)] == [ok.id]
    assert inspector_search.eligible_inspectors(org.bureau_a, TODAY - timedelta(days=10))[-1].id == expired.id
    assert off.id not in [i.id for i in inspector_search.eligible_inspectors(org.bureau_a, TODAY - timedelta(days=10))]
    assert inspector_search.eligible_inspectors(org.bureau_b, TODAY) == []
    assert inspector_search.eligible_inspectors(org.station_a, TODAY, category="行政执法类公务员", area="猛追湾", speciality="食品安全",
                                   matter="食品经营许可检查")[0].id == ok.id
    assert inspector_search.eligible_inspectors(org.bureau_a, TODAY, speciality="计量") == []
    assert inspector_search.eligible_inspectors(org.bureau_a, TODAY, area="双桥子") == []
    # the permission and an active account are required
    ok.user.status = UserStatus.DISABLED
    assert inspector_search.eligible_inspectors(org.bureau_a, TODAY) == []
    ok.user.status = UserStatus.ACTIVE
    ok.random_permission = False
    assert inspector_search.eligible_inspectors(org.bureau_a, TODAY) == []
    # not yet valid on that date
    assert inspector_search.eligible_inspectors(org.bureau_a, date(2023, 12, 31)) == []


def test_search_filters_and_scope(org, session):
    inspector_enrolment.create_inspector(org.clerk_a, form(org))
    inspector_enrolment.create_inspector(
        org.clerk_a,
        form(org, id_number=ID_WOMAN, mobile="13900000002", name="刘芳", duty="off", department_id=org.section_a.id,
             cert_valid_to=(TODAY + timedelta(days=10)).isoformat(), specialities="计量"),
    )

    def names(user, **args):
        return [i.name for i in inspector_search.search(user, inspector_search.parse_filters(user, args)).rows]

    assert sorted(names(org.clerk_a)) == ["刘芳", "陈志强"]
    assert names(org.clerk_a, duty="off") == ["刘芳"]
    assert names(org.clerk_a, cert="expiring") == ["刘芳"]
    assert names(org.clerk_a, speciality="食品安全") == ["陈志强"]
    assert names(org.clerk_a, department=str(org.section_a.id)) == ["刘芳"]
    assert names(org.clerk_a, q="陈") == ["陈志强"]
    assert names(org.section_clerk_a) == ["刘芳"]
    assert names(org.clerk_b) == []
    assert names(org.clerk_b, department=str(org.bureau_a.id)) == []


# ------------------------------------------------------------------ A.5 import


def test_import_preview_errors_annotated_copy_and_confirm(org, session):
    org.inspector_a.id_number = ID_3
    session.flush()
    data = a5([
        a5_row(1, "陈志强", ID_3, "13900000003", 科室="甲区第一市场监管所"),  # has an account
        a5_row(2, "刘芳", ID_WOMAN, "13900000002"),  # new account
        a5_row(3, "坏号码", ID_MAN[:17] + ("0" if ID_MAN[17] != "0" else "1"), "13900000009"),
        a5_row(4, "重复甲", ID_WOMAN, "13900000004"),
        a5_row(5, "外区", ID_MAN, "13900000005", unit="乙区市场监督管理局"),
        a5_row(6, "坏日期", make_id(seq="335"), "13900000006", 执法证有效期止="2030-02-30", 在岗状态="请假"),
    ])
    batch, check = store(org.clerk_a, "A.5.xlsx", data)
    summary = import_batches.batch_summary(batch)["check"]
    assert (summary["rows"], summary["valid"], summary["create"], summary["new_accounts"]) == (6, 1, 1, 0)
    problems = {p["row"]: " ".join(p["errors"]) for p in summary["problems"]}
    assert "校验" in problems[4]
    assert "与第5行重复" in problems[3] and "与第3行重复" in problems[5]
    assert "不在您的管理范围内" in problems[6]
    assert "日期不存在" in problems[7] and "在岗状态" in problems[7]
    copy = load_workbook(io.BytesIO(framework.annotated_copy(IMPORT, org.clerk_a, batch)))
    ws = copy.worksheets[0]
    assert ws.cell(row=1, column=17).value == "错误说明" and "校验" in ws.cell(row=4, column=17).value
    with pytest.raises(Invalid, match="未导入任何数据"):
        confirm(org.clerk_a, batch, valid_only=False)
    result = confirm(org.clerk_a, batch, valid_only=True)
    assert batch.status == ImportStatus.IMPORTED and batch.content == b""
    assert result["新增"] == 1 and result["跳过问题行"] == 5
    [entry] = session.query(Inspector).all()
    assert entry.department_id == org.station_a.id and entry.user_id == org.inspector_a.id
    assert entry.cert_valid_to == date(2030, 12, 31) and entry.matters == ["食品经营许可检查", "价格检查"]
    [added] = result["shown"]["results"]
    assert steps(added.instance)[:4] == ["选择新增方式", "下载模板", "根据模板填充数据并上传", "完成新增操作"]


def test_import_creates_accounts_with_the_inspector_role_and_reimport_updates(org, session):
    data = a5([a5_row(1, "刘芳", ID_WOMAN, "13900000002"), a5_row(2, "陈志强", ID_MAN, "13900000001")])
    batch, _ = store(org.clerk_a, "a5.xlsx", data)
    result = confirm(org.clerk_a, batch, valid_only=False)
    assert len(result["shown"]["issued"]) == 2
    for added in result["shown"]["results"]:
        assert added.instance.status == InstanceStatus.COMPLETED
        assert steps(added.instance)[-2:] == ["判断是否分配角色", "分配角色"]
        assert added.inspector.user.has_role(Role.INSPECTOR)
    # again, with one change: an update (表18), not a second entry; blank cells keep values
    data = a5([a5_row(1, "刘芳", ID_WOMAN, "13900000002", 在岗状态="不在岗", 发证机关=""),
               a5_row(2, "陈志强", ID_MAN, "13900000001")])
    batch2, check = store(org.clerk_a, "a5.xlsx", data)
    assert import_batches.batch_summary(batch2)["check"]["update"] == 2
    result = confirm(org.clerk_a, batch2, valid_only=False)
    assert result["更新"] == 1 and result["无变化"] == 1 and result["shown"]["issued"] == []
    assert session.query(Inspector).count() == 2
    liu = svc.find_by_id_number(ID_WOMAN)
    assert liu.duty == DutyStatus.OFF and liu.cert_issuer == "甲区人民政府"
    assert session.query(ProcessInstance).filter_by(process_table=18).count() == 1
    # another district cannot update them
    data = a5([a5_row(1, "刘芳", ID_WOMAN, "13900000002", unit="乙区市场监督管理局")])
    _, check = store(org.clerk_b, "a5.xlsx", data)
    assert "其他部门" in " ".join(check.errors.messages())


def test_import_refuses_a_file_that_is_not_the_template(org, session):
    with pytest.raises(ExcelError):
        store(org.clerk_a, "x.xlsx", b"not a workbook")
    csv = ",".join(TEMPLATES["A.5"].titles) + "\n1,刘芳," + ID_WOMAN + ",女,13900000002,甲区市场监督管理局" + ",," * 5 + "\n"
    batch, check = store(org.clerk_a, "a5.csv", csv.encode("gbk"))
    assert len(check.valid_rows) == 1
    with pytest.raises(Forbidden):
        confirm(org.clerk_b, batch, valid_only=True)


def test_accounts_of_another_district_are_not_linked(org, session):
    org.clerk_b.id_number = ID_MAN
    org.clerk_b.mobile = "13900000001"
    session.flush()
    result = inspector_enrolment.create_inspector(org.clerk_a, form(org))
    assert result.inspector.user_id != org.clerk_b.id
    [issued] = result.issued
    created = session.get(User, issued.user_id)
    assert created.id_number is None and created.department_id == org.station_a.id
    assert not org.clerk_b.has_role(Role.INSPECTOR)


# ------------------------------------------------------------------ 渝 C.1 import


def test_c1_import_creates_entries_without_id_number_and_runs_table_17(org, session):
    org.inspector_a.mobile = "13900000003"
    session.flush()
    data = c1([
        c1_row(1, "陈志强", "13900000003", unit="甲区第一市场监管所"),  # has an account (by mobile)
        c1_row(2, "刘芳", "13900000002"),  # new account
        c1_row(3, "外区", "13900000005", county="乙区"),
        c1_row(4, "无部门", "13900000006", unit="甲区不存在的所"),
        c1_row(5, "坏类别", "13900000007", category="临时工"),
        c1_row(6, "坏电话", "12345"),
        c1_row(7, "重复", "13900000002"),
        c1_row(8, "乙区部门", "13900000008", unit="乙区市场监督管理局"),
    ])
    batch, check = store(org.clerk_a, "C.1.xlsx", data)  # found by its header
    assert framework.context_of(batch)["template"] == "C.1"
    summary = import_batches.batch_summary(batch)["check"]
    assert summary["context"]["template"] == "C.1"
    assert (summary["rows"], summary["valid"], summary["create"], summary["new_accounts"]) == (8, 1, 1, 0)
    problems = {p["row"]: " ".join(p["errors"]) for p in summary["problems"]}
    assert "所属区县" in problems[4] and "甲区" in problems[4]
    assert "所属部门" in problems[5] and "不在您的管理范围内" in problems[5]
    assert "人员类别" in problems[6]
    assert "电话" in problems[7]
    assert "与第8行重复" in problems[3] and "与第3行重复" in problems[8]
    assert "所属部门" in problems[9]
    copy = load_workbook(io.BytesIO(framework.annotated_copy(IMPORT, org.clerk_a, batch)))
    ws = copy.worksheets[0]
    assert ws.title == TEMPLATES["C.1"].sheet
    assert ws.cell(row=1, column=8).value == "错误说明" and "所属区县" in ws.cell(row=4, column=8).value
    with pytest.raises(Invalid, match="未导入任何数据"):
        confirm(org.clerk_a, batch, valid_only=False)
    result = confirm(org.clerk_a, batch, valid_only=True)
    assert result["新增"] == 1 and result["跳过问题行"] == 7 and result["模板"] == "C.1"
    [entry] = session.query(Inspector).all()
    assert entry.id_number is None and entry.sex == "" and entry.department_id == org.station_a.id
    assert entry.user_id == org.inspector_a.id and entry.random_permission
    assert entry.category == "行政执法类公务员" and entry.specialities == ["食品安全", "特种设备"]
    [added] = result["shown"]["results"]
    assert steps(added.instance) == [
        "选择新增方式", "下载模板", "根据模板填充数据并上传", "完成新增操作", "判断是否有系统操作账号", "开通双随机检查权限",
    ]
    assert any("按手机号码匹配" in (h.comment or "") for h in added.instance.history)


def test_c1_new_accounts_reimport_updates_and_several_entries_without_id_number(org, session):
    data = c1([c1_row(1, "刘芳", "13900000002"), c1_row(2, "张伟", "13900000001", speciality="")])
    batch, _ = store(org.clerk_a, "名录.xlsx", data, "C.1")
    result = confirm(org.clerk_a, batch, valid_only=False)
    issued = result["shown"]["issued"]
    assert len(issued) == 2 and {i.account for i in issued} == {"13900000002", "13900000001"}
    for added in result["shown"]["results"]:  # two entries without ID number: the unique constraint allows them
        assert added.inspector.id_number is None
        assert steps(added.instance)[-3:] == ["新增系统操作账号", "判断是否分配角色", "分配角色"]
        user = added.inspector.user
        assert user.has_role(Role.INSPECTOR) and user.id_number is None and user.mobile == added.inspector.mobile
    session.commit()
    # the same people again, matched by 电话: updates (表18), no duplicates; blank cells keep values
    data = c1([
        c1_row(1, "刘芳", "13900000002", category="从事日常监管工作的人员", speciality=""),
        c1_row(2, "张伟", "13900000001", speciality=""),
    ])
    batch2, check = store(org.clerk_a, "名录.xlsx", data)
    assert import_batches.batch_summary(batch2)["check"]["update"] == 2
    result = confirm(org.clerk_a, batch2, valid_only=False)
    assert result["更新"] == 1 and result["无变化"] == 1 and result["shown"]["issued"] == []
    assert session.query(Inspector).count() == 2
    liu = session.query(Inspector).filter_by(mobile="13900000002").one()
    assert liu.category == "从事日常监管工作的人员" and liu.specialities == ["食品安全", "特种设备"]
    [maintain] = session.query(ProcessInstance).filter_by(process_table=18).all()
    assert maintain.subject_id == liu.id and steps(maintain) == ["选择拟维护人员", "判断修改/删除", "修改执法检查人员"]
    # the form may later add the ID number; it cannot be cleared again
    svc.update_inspector(org.clerk_a, liu, form(org, name="刘芳", mobile="13900000002", id_number=ID_WOMAN, sex=""))
    assert liu.id_number == ID_WOMAN and liu.sex == "女"
    with pytest.raises(Invalid, match="身份证号"):
        svc.update_inspector(org.clerk_a, liu, form(org, name="刘芳", mobile="13900000002", id_number=""))
    # district 乙 cannot touch them: its file's 电话 is another district's entry
    _, check = store(
        org.clerk_b, "c1.xlsx", c1([c1_row(1, "刘芳", "13900000002", unit="乙区市场监督管理局", county="乙区")])
    )
    assert "其他区县" in " ".join(check.errors.messages())


def test_c1_template_chosen_or_detected_and_wrong_headers(org, session):
    data = c1([c1_row(1, "刘芳", "13900000002")])
    # A.5 chosen for a C.1 file: the header is refused
    with pytest.raises(ExcelError, match="缺少列"):
        store(org.clerk_a, "c1.xlsx", data, "A.5")
    # neither template's header: both are named
    with pytest.raises(ExcelError, match="C.1"):
        store(org.clerk_a, "x.csv", "姓名,电话\n刘芳,13900000002\n".encode())
    # a C.1 CSV is read too
    csv = ",".join(TEMPLATES["C.1"].titles) + "\n1,刘芳,13900000002,甲区,甲区市场监督管理局,,\n"
    batch, check = store(org.clerk_a, "c1.csv", csv.encode("gbk"))
    assert framework.context_of(batch)["template"] == "C.1" and len(check.valid_rows) == 1


# ------------------------------------------------------------------ 辅助人员库导入模板


def aux_file(rows: list[list]) -> bytes:
    from services.imports.auxiliary import KIND

    AUX = KIND.template

    wb = AUX.workbook()
    ws = wb.worksheets[0]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_auxiliary_pool_import_preview_and_reimport(org, session):
    from models.inspectors import AuxiliaryInspector, AuxiliaryKind
    from services import import_batches
    from services.imports import framework
    from services.imports.auxiliary import KIND
    from services.templates_catalogue import PLATFORM_TEMPLATES

    template = PLATFORM_TEMPLATES["辅助人员库导入模板"]
    assert template.code not in TEMPLATES and template.titles[:3] == ("序号", "类别", "名称")
    data = aux_file([
        [1, "专家学者", "王教授", "四川大学", "", "028-85412345", "食品安全", "高级工程师"],
        [2, "检验检测机构", "甲区食品检验所", "", "张三", "13900000011", "食品检验", "CMA"],
        [3, "外星人", "坏类别", "", "", "", "", ""],
        [4, "专家学者", "坏电话", "", "", "12", "", ""],
        [5, "专家学者", "李教授", "成都大学", "", "", "", ""],
        [6, "专家学者", "李教授", "成都大学", "", "", "", ""],
    ])
    batch, check = framework.upload(KIND, org.clerk_a, "辅助.xlsx", data, {})
    summary = import_batches.batch_summary(batch)["check"]
    assert (summary["rows"], summary["valid"], summary["create"]) == (6, 2, 2)
    problems = {p["row"]: " ".join(p["errors"]) for p in summary["problems"]}
    assert "类别" in problems[4] and "联系电话" in problems[5]
    # a key repeated in the file refuses both rows
    assert "与第7行重复" in problems[6] and "与第6行重复" in problems[7]
    ws = load_workbook(io.BytesIO(framework.annotated_copy(KIND, org.clerk_a, batch))).worksheets[0]
    assert ws.cell(row=1, column=9).value == "错误说明" and "类别" in ws.cell(row=4, column=9).value
    with pytest.raises(Invalid, match="未导入任何数据"):
        framework.confirm(KIND, org.clerk_a, batch, valid_only=False)
    result = framework.confirm(KIND, org.clerk_a, batch, valid_only=True)
    assert result["新增"] == 2 and result["跳过问题行"] == 4
    wang = session.query(AuxiliaryInspector).filter_by(name="王教授").one()
    assert wang.kind == AuxiliaryKind.EXPERT and wang.phone == "028-85412345" and wang.department_id == org.bureau_a.id
    # again: an update (blank cells keep the values), nothing added twice
    data = aux_file([[1, "专家学者", "王教授", "四川大学", "", "", "食品安全、药品", ""],
                     [2, "检验检测机构", "甲区食品检验所", "", "张三", "13900000011", "食品检验", "CMA"]])
    batch2, _ = framework.upload(KIND, org.clerk_a, "辅助.xlsx", data, {})
    result = framework.confirm(KIND, org.clerk_a, batch2, valid_only=False)
    assert (result["新增"], result["更新"], result["无变化"]) == (0, 1, 1)
    assert session.query(AuxiliaryInspector).count() == 2
    assert wang.field == "食品安全、药品" and wang.qualification == "高级工程师" and wang.kind == AuxiliaryKind.EXPERT
    # another district's file adds its own entries, and cannot use this batch
    with pytest.raises(Forbidden):
        framework.confirm(KIND, org.clerk_b, batch2, valid_only=True)
    with pytest.raises(ExcelError):
        framework.upload(KIND, org.clerk_a, "c1.xlsx", c1([c1_row(1, "刘芳", "13900000002")]), {})


def test_a5_completes_an_entry_imported_from_c1(org, session):
    batch, _ = store(org.clerk_a, "c1.xlsx", c1([c1_row(1, "刘芳", "13900000002")]))
    confirm(org.clerk_a, batch, valid_only=False)
    entry = session.query(Inspector).one()
    assert entry.id_number is None
    batch, check = store(org.clerk_a, "a5.xlsx", a5([a5_row(1, "刘芳", ID_WOMAN, "13900000002")]))
    assert [r.payload.target for r in check.valid_rows] == [entry]
    result = confirm(org.clerk_a, batch, valid_only=False)
    assert result["更新"] == 1 and result["新增"] == 0
    assert session.query(Inspector).count() == 1
    assert entry.id_number == ID_WOMAN and entry.sex == "女" and entry.cert_no == "ZF0001"
