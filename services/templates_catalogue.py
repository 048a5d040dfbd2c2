"""Every import template of the standards, as data.

DB5101 appendix A (A.1.1, A.1.2, A.4.1, A.4.2, A.5, A.6) and the Chongqing work
specification's appendices B (B.1–B.3) and C (C.1).  Column titles are the standards' own,
character for character, so a clerk who fills a template sent by another department finds the
same words as in the standard; widths, text formats, dropdowns, required columns and the 填写说明
sheet are the platform's.  A.2.1 and A.3.1 are forms the platform prints, not imports: their
layouts are in LAYOUTS.  ``infrastructure.excel.read_table`` reads an upload against a Template.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook

from infrastructure.excel import Column, build_workbook, kind_note, workbook_bytes

DB5101 = "DB5101《成都市市场主体智慧监管 业务流程规范》（征求意见稿）"
YU = "渝《市场监管领域部门联合“双随机、一公开”监管工作规范》"

# Closed lists the standards give (or that a column's title makes closed).
ITEM_CATEGORIES = ("重点检查事项", "一般检查事项")  # 渝 规范 “建设一单两库”
INSPECTION_METHODS = ("书面检查", "实地核查", "网络监测", "专业检测")
IMPLEMENTATION_LEVELS = ("市级", "区县级")
SEXES = ("男", "女")
ON_DUTY_STATES = ("在岗", "不在岗")
ENTITY_STATUSES = ("存续", "吊销", "注销", "迁出")
# A.4.1 is the template of exactly these two kinds (its title).
ORGANIZATION_NATURES = ("非营利性市场主体", "非市场主体")
# 渝 规范 “建立检查人员名录库”: the three kinds of people the directory holds.
INSPECTOR_CATEGORIES = ("行政执法类公务员", "具有行政执法资格的工作人员", "从事日常监管工作的人员")
YES_NO = ("是", "否")

_SHEET_FORBIDDEN = re.compile(r"[\\*?:\[\]]")


@dataclass(frozen=True)
class Template:
    """One template: its code and title in the standard, where it comes from, its columns."""

    code: str
    title: str
    source: str
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = ()  # extra lines for the 填写说明 sheet
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of columns of which one must be filled

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(c.title for c in self.columns)

    @property
    def sheet(self) -> str:
        """The data sheet's name: the title, made a legal sheet name (no / and at most 31)."""
        return _SHEET_FORBIDDEN.sub("", self.title.replace("/", "／"))[:31]

    @property
    def filename(self) -> str:
        """The file name the CLI writes: the template code."""
        return f"{self.code}.xlsx"

    @property
    def download_name(self) -> str:
        """A file name for a browser download: code and title."""
        return f"{self.code} {self.title.replace('/', '／')}.xlsx"

    def column(self, title: str) -> Column:
        return next(c for c in self.columns if c.title == title)

    def instructions(self) -> list[str]:
        """The lines of the 填写说明 sheet."""
        lines = [f"{self.code} {self.title} 填写说明", f"依据：{self.source}", ""]
        rules = [
            "第一行为列名，必须保留：不要修改、删除第一行，不要增加、删除列或调整列的顺序；"
            "从第2行起每行填写一条记录，空行会被忽略。",
        ]
        required = [c.title for c in self.columns if c.required]
        if required:
            rules.append("必填列（列名为红色）：" + "、".join(required) + "。")
        for group in self.one_of:
            rules.append("、".join(group) + "至少填写一项。")
        text = [c.title for c in self.columns if c.text]
        if text:
            rules.append(
                "文本格式列：" + "、".join(text) + "。代码、证件号码和电话号码已设为文本格式，请勿改为数字或常规格式，"
                "否则18位代码会显示为 9.13501E+17 并丢失末几位；从其他文件粘贴时请选择“只粘贴值”或“匹配目标格式”。"
            )
        dates = [c.title for c in self.columns if c.kind == "date"]
        if dates:
            rules.append(
                "日期列：" + "、".join(dates) + "，按 2026-01-31 格式填写（也可识别 2026/1/31、20260131、2026年1月31日）。"
            )
        choices = [c for c in self.columns if c.choices]
        if choices:
            multiple = [c.title for c in choices if c.multiple]
            rule = "下拉选项列：" + "、".join(c.title for c in choices) + "，请从下拉列表中选择"
            if multiple:
                rule += "；" + "、".join(multiple) + "可填多项，用“、”分隔"
            rules.append(rule + "。")
        rules.append("不要使用公式：含公式的文件会被拒绝，需要时请复制后“选择性粘贴—数值”。")
        rules.extend(self.notes)
        rules.append("填写完成后以 Excel 工作簿（.xlsx）格式保存上传。")
        lines.extend(f"{i}. {rule}" for i, rule in enumerate(rules, start=1))
        lines.extend(["", "各列说明："])
        for c in self.columns:
            lines.append(f"{c.title}{'（必填）' if c.required else ''}：{kind_note(c) or '文字'}")
        return lines

    def workbook(self) -> Workbook:
        """The empty template: header exactly as the standard, formats, dropdowns, 填写说明."""
        wb = build_workbook(self.sheet, self.columns, instructions=self.instructions(), required_mark="")
        wb.properties.title = f"{self.code} {self.title}"
        return wb


def _text(title: str, width: int = 16, *, required: bool = False, note: str = "") -> Column:
    return Column(title, width, required=required, note=note)


def _code(title: str, width: int = 20, *, kind: str = "text", required: bool = False, note: str = "") -> Column:
    """A column formatted as text: codes, certificate and ID numbers, phone numbers."""
    return Column(title, width, text=True, required=required, kind=kind, note=note)


def _date(title: str, width: int = 14, *, required: bool = False) -> Column:
    return Column(title, width, required=required, kind="date")


def _choice(
    title: str, choices: Sequence[str], width: int = 14, *, multiple: bool = False, required: bool = False, note: str = ""
) -> Column:
    return Column(title, width, choices=tuple(choices), multiple=multiple, required=required, note=note)


_SEQ = _text("序号", 6)
_TAGS_NOTE = "可填多个标签，用“、”分隔"

_TEMPLATES = (
    Template(
        "A.1.1",
        "单部门“双随机、一公开”抽查事项清单",
        f"{DB5101} 附录A A.1.1",
        (
            _SEQ,
            _text("抽查类别", 16, required=True, note="抽查事项所属的类别（领域）"),
            _text("抽查事项", 30, required=True),
            _text("检查对象", 24, required=True),
            _choice(
                "事项类别",
                ITEM_CATEGORIES,
                14,
                required=True,
                note="重点检查事项（涉及安全、质量、公共利益领域，抽查比例不设上限）或一般检查事项（抽查比例有上限）",
            ),
            _choice("检查方式", INSPECTION_METHODS, 20, multiple=True, required=True),
            _text("检查主体", 20, required=True, note="实施检查的部门"),
            _text("检查依据", 40, required=True, note="法律、法规、规章的名称和条款"),
            _text("牵头处室", 16),
        ),
        notes=("事项类别的两类依据" + YU + "“建设‘一单两库’”一章。",),
    ),
    Template(
        "A.1.2",
        "部门联合“双随机、一公开”抽查事项清单",
        f"{DB5101} 附录A A.1.2",
        (
            _SEQ,
            _text("联合抽查事项", 30, required=True),
            _text("检查对象", 24, required=True),
            _text("发起部门", 20, required=True),
            _text("参与部门", 30, required=True, note="部门全称，多个部门用“、”分隔"),
            _choice("检查方式", INSPECTION_METHODS, 20, multiple=True, required=True),
            _choice("实施层级", IMPLEMENTATION_LEVELS, 12, multiple=True, required=True),
            _text("发起部门抽查事项", 30, required=True),
            _text(
                "参与部门抽查事项及实施层级",
                40,
                note="按参与部门逐一填写，如：区卫生健康局：公共场所卫生监督检查（区县级）；多个部门用“；”分隔",
            ),
        ),
    ),
    Template(
        "A.4.1",
        "非营利性市场主体、非市场主体导入模版",
        f"{DB5101} 附录A A.4.1",
        (
            _text("地址（住所、经营场所）", 36, required=True),
            _text("行政区划中文", 16, required=True, note="行政区划名称，如：成华区"),
            _code("行政区划编码", 14, kind="division", required=True),
            _text("法定代表人/负责人", 14),
            _text("联系人", 12),
            _code("联系方式（手机）", 16, kind="mobile"),
            _choice("机构性质", ORGANIZATION_NATURES, 18, required=True),
            _text("其他名称（关联主体名称，如主办方等）", 30),
            _choice("状态", ENTITY_STATUSES, 10),
            _text("标签", 20, note=_TAGS_NOTE),
            _text("备注", 24),
            _text("区划", 12, note="标准未说明，按本地约定填写（如所属街道、乡镇的名称）"),
            _code("编码", 14, note="与“区划”对应的代码，按本地约定填写"),
        ),
    ),
    Template(
        "A.4.2",
        "营利性市场主体导入模版",
        f"{DB5101} 附录A A.4.2",
        (
            _text("企业名称", 36, required=True),
            _code("社会信用代码", 22, kind="uscc"),
            _code("注册号", 18, note="没有统一社会信用代码的主体填写注册号（一般为15位）"),
            _text("标签", 24, note=_TAGS_NOTE),
        ),
        notes=("同一文件中社会信用代码不能重复。",),
        one_of=(("社会信用代码", "注册号"),),
    ),
    Template(
        "A.5",
        "执法检查人员导入模板",
        f"{DB5101} 附录A A.5",
        (
            _SEQ,
            _text("姓名", 10, required=True),
            _code("身份证号", 22, kind="id_number", required=True),
            _choice("性别", SEXES, 6),
            _code(
                "电话号码", 16, kind="mobile", required=True,
                note="本人11位手机号码：平台按身份证号或手机号码判断是否已有系统操作账号",
            ),
            _text("单位", 24, required=True, note="单位全称，须与系统中的部门名称一致"),
            _text("监督检查（执法）区域", 20),
            _choice("执法检查人员类别", INSPECTOR_CATEGORIES, 26),
            _text("发证机关", 20),
            _code("执法证编号", 18),
            _date("执法证有效期起"),
            _date("执法证有效期止"),
            _date("填报日期"),
            _text("科室", 16, note="单位下设的科室或市场监管所：与系统中的部门名称一致时，人员归入该部门"),
            _text("监督检查（执法）事项", 30, note="本人可承担的抽查事项，多项用“、”分隔"),
            _choice("在岗状态", ON_DUTY_STATES, 10),
        ),
        notes=(
            "系统按身份证号或手机号码匹配已有账号：有账号的开通双随机检查权限，没有账号的新建账号。",
            "执法证有效期止不得早于执法证有效期起。",
            "已在名录库中的人员（按身份证号匹配）再次导入时更新其信息，不会重复新增。",
            "通过模板导入的人员，新开通的系统操作账号由系统自动分配执法人员角色。",
        ),
    ),
    Template(
        "A.6",
        "联席会议工作台账模板",
        f"{DB5101} 附录A A.6",
        (
            _text("经营者/名称", 24, required=True),
            _text("经营地址", 30),
            _text("经营项目", 20),
            _code("联系电话", 16, kind="phone"),
            _text("证照情况", 16, note="如：证照齐全、无证、证照不全"),
            _choice("已下达行政指导文书", YES_NO, 12),
            _choice("已引导办证", YES_NO, 10),
            _choice("已抄告", YES_NO, 8),
            _choice("已立案查处", YES_NO, 10),
            _choice("已移送公安机关", YES_NO, 12),
            _choice("停业关闭", YES_NO, 10),
            Column("罚款金额（万元）", 14, kind="decimal", note="数字，单位万元，如 1.5"),
            _date("填报日期"),
        ),
    ),
    Template(
        "B.1",
        "检查对象名录库样表（行政相对人（组织/个人））",
        f"{YU} 附录B B.1",
        (
            _text("行政相对人名称", 30, required=True),
            _code("行政相对人编码", 22, kind="uscc_or_id", required=True),
            _text("检查地址", 30, required=True),
            _code("检查联系电话", 16, kind="phone"),
            _text("所属区县", 14),
            _text("行政相对人性质", 16, note="如：法人、非法人组织、个体工商户、自然人"),
            _code("行政区划代码", 14, kind="division"),
        ),
    ),
    Template(
        "B.2",
        "检查对象名录库样表（场地场所）",
        f"{YU} 附录B B.2",
        (
            _text("场地场所", 24, required=True, note="场地场所的名称"),
            _text("所在地区", 14),
            _text("行政区划", 14, note="行政区划名称（代码填在“行政区划代码”列）"),
            _text("责任单位", 24),
            _code("责任单位统一社会信用代码", 22, kind="uscc"),
            _text("责任人", 10),
            _text("责任人证件类型", 14, note="如：居民身份证、护照"),
            _code("责任人证件编码", 22),
            _text("场所用途", 16),
            _text("场所规模", 14, note="如：建筑面积5000平方米"),
            _date("投入使用开始时间", 16),
            _text("使用寿命", 12, note="如：50年"),
            _text("检查地址", 30, required=True),
            _code("检查联系电话", 16, kind="phone"),
            _text("所属区县", 14),
            _text("行政相对人性质", 16),
            _code("行政区划代码", 14, kind="division"),
        ),
    ),
    Template(
        "B.3",
        "检查对象名录库样表（产品）",
        f"{YU} 附录B B.3",
        (
            _code("生产许可证编号", 20, required=True),
            _text("企业名称", 30, required=True),
            _code("统一社会信用代码", 22, kind="uscc", required=True),
            _date("发证日期"),
            _date("有效期至"),
            _text("检查地址", 30),
            _code("检查联系电话", 16, kind="phone"),
            _text("所属区县", 14),
            _text("行政相对人性质", 16),
            _code("行政区划代码", 14, kind="division"),
        ),
    ),
    Template(
        "C.1",
        "执法人员名录库样表",
        f"{YU} 附录C C.1",
        (
            _SEQ,
            _text("姓名", 10, required=True),
            _code(
                "电话", 16, kind="mobile", required=True,
                note="本人11位手机号码：平台按手机号码匹配名录库中的人员和已有的系统操作账号",
            ),
            _text("所属区县", 14, required=True, note="您所在区县的名称，如“锦江区”"),
            _text("所属部门", 24, required=True, note="部门全称，须与系统中的部门名称一致"),
            _choice("人员类别", INSPECTOR_CATEGORIES, 26),
            _text("业务专长", 24, note="多项用“、”分隔"),
        ),
        notes=(
            "样表没有身份证号：系统按电话（手机号码）在本区县的名录库中匹配，已有的人员更新其信息，不会重复新增；"
            "没有的新增（不登记身份证号，可在“修改”中补填）。",
            "系统按手机号码匹配已有账号：有账号的开通双随机检查权限，没有账号的新建账号并自动分配执法人员角色。",
        ),
    ),
)

TEMPLATES: dict[str, Template] = {t.code: t for t in _TEMPLATES}

# The platform's own import templates (no standard defines them): named by what they are,
# never by a code that could be mistaken for one of the standards'.
AUXILIARY_KINDS = ("专家学者", "检验检测机构", "科研院所")  # models.inspectors.AuxiliaryKind labels
PLATFORM_TEMPLATES: dict[str, Template] = {
    t.code: t
    for t in (
        Template(
            "辅助人员库导入模板",
            "辅助检查人员库（专家、检验检测机构、科研院所）",
            f"平台模板（{YU}“建立检查人员名录库”：检测机构、科研院所和专家学者等辅助检查人员）",
            (
                _SEQ,
                _choice("类别", AUXILIARY_KINDS, 14, required=True),
                _text("名称", 30, required=True, note="专家姓名或机构名称"),
                _text("所在单位", 30),
                _text("联系人", 12),
                _code("联系电话", 16, kind="phone"),
                _text("专业领域", 30),
                _text("资质", 30),
            ),
            notes=(
                "类别必须填写。已在辅助检查人员库中的（名称和所在单位相同）再次导入时更新其信息，不会重复新增。",
            ),
        ),
        Template(
            "监管对象认领导入模板",
            "监管对象认领清单",
            "平台模板（《事中事后综合监管平台监管措施规则》1.2 监管认领“导入比对”）",
            (
                _SEQ,
                _text("市场主体名称", 40, note="统一社会信用代码为空时按名称匹配"),
                _code("统一社会信用代码", 22, note="18位统一社会信用代码或注册号"),
            ),
            notes=(
                "名称和统一社会信用代码至少填写一项；按统一社会信用代码（或注册号）匹配，为空时按名称匹配。",
                "匹配到的本辖区市场主体列为本部门的监管对象，已是本部门监管对象的不变。",
            ),
        ),
        Template(
            "无证无照经营者导入模板",
            "无证无照经营者清单",
            f"平台模板（{DB5101} 表24 执行无证无照经营查处；列名同附录A A.6）",
            (
                _SEQ,
                _text("经营者/名称", 24, required=True),
                _text("经营地址", 30),
                _text("经营者（负责人）", 12),
                _text("经营项目", 20),
                _code("联系电话", 16, kind="phone"),
                _code("统一社会信用代码/注册号", 22, note="不在市场主体库中的经营者不填"),
                _date("发现日期"),
            ),
            notes=(
                "经营者/名称和经营地址相同的视为同一经营者，已录入的不能重复导入。",
                "发现日期为空的按导入当日；填写了统一社会信用代码或注册号的须为市场主体库中的主体。",
            ),
        ),
    )
}

# Forms the platform fills and prints (plans, inspection records): their layouts, not imports.
LAYOUTS: dict[str, Template] = {
    "A.2.1": Template(
        "A.2.1",
        "部门联合“双随机、一公开”抽查计划表",
        f"{DB5101} 附录A A.2.1",
        tuple(
            Column(t)
            for t in (
                "序号", "任务名称", "检查对象", "发起部门", "参与部门", "抽查户数", "检查方式", "实施层级",
                "抽查比例", "起止时间", "发起部门抽查事项", "参与部门抽查事项及实施层级",
            )
        ),
    ),
    "A.3.1": Template(
        "A.3.1",
        "部门联合“双随机、一公开”各部门事项检查情况记录表模板",
        f"{DB5101} 附录A A.3.1",
        (Column("检查项目", 24), Column("检查内容", 40), Column("检查结果", 24)),
        notes=("表头：填报部门：_____局（市场监管部门） 填报时间：__年__月__日 检查人员：_____",),
    ),
}


def template_workbook(code: str) -> bytes:
    """The .xlsx bytes of the template ``code`` ("A.1.1" … "C.1"); KeyError if unknown."""
    return workbook_bytes(TEMPLATES[code].workbook())
