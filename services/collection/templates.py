"""The import template of each fact kind (信息归集 批量导入), built from its FactKind.

The platform's own templates (no standard defines them), named 信息归集-<kind> so no code can be
mistaken for one of the standards'; `flask templates` writes them beside the standards' ones
(services/cli.py) and /imports/facts_<kind>/template.xlsx serves each.
"""

from __future__ import annotations

from services.collection.fields import FactField, FactKind, Subject
from services.collection.kinds import FACT_KINDS
from services.excel import Column
from services.templates_catalogue import Template

SOURCE = "平台模板（《事中事后综合监管信息归集范围及规则（试行）》3.3 批量导入）"


def _column(f: FactField) -> Column:
    kind = "date" if f.input == "date" else "text"
    note = f.note or ("可填 2026-01-05、2026/1/5 或 2026年1月5日" if f.input == "date" else "")
    return Column(f.label, f.width, text=f.input == "code", choices=f.choices, required=f.required, kind=kind,
                  note=note)


def _subject_note(kind: FactKind) -> str:
    match = ("市场主体按统一社会信用代码匹配，没有的按注册号，再没有的按市场主体名称（须与登记名称完全一致）匹配；"
             "三项至少填写一项。")
    if kind.subject == Subject.ENTITY_OR_PERSON:
        return match + "失信主体为自然人时不填这三项，改填自然人姓名和身份证号（按身份证号匹配）。"
    if kind.subject == Subject.ENTITY_AND_PERSON:
        return match + "人员按身份证号匹配，姓名和身份证号必须填写。"
    if kind.subject == Subject.OPTIONAL_ENTITY:
        return "只标记集群注册地址时不填市场主体；填写时" + match
    return match


def _key_labels(kind: FactKind) -> str:
    labels = {"@subject": "市场主体", "@person": "人员"}
    return "、".join(labels.get(k) or kind.field(k).label for k in kind.natural_key)


def template_of(kind: FactKind) -> Template:
    notes = (
        _subject_note(kind),
        "未匹配到市场主体的记录不会丢弃：进入待处理信息，在“归集反馈”中列出，市场主体登记后自动重新匹配。",
        f"同一文件中{_key_labels(kind)}相同的行不能重复。本部门已报送过{_key_labels(kind)}相同的信息时，"
        "内容相同的不重复保存，内容不同的作为该信息的新版本（原版本保留备查）；与其他部门报送的信息相同或不一致的，"
        "列入待处理信息（重复、冲突）并在“归集反馈”中列出。",
        "金额可填 500000、500,000.00、50万元 或中文大写（如 伍拾万元）。",
    )
    return Template(f"信息归集-{kind.label}", f"{kind.label}信息归集", SOURCE,
                    tuple(_column(f) for f in kind.all_fields), notes=notes)


FACT_TEMPLATES: dict[str, Template] = {k.name: template_of(k) for k in FACT_KINDS.values()}
