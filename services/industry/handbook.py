"""一业一册: the 合规经营指导手册 of one industry for the entities (seed 001: 从经营主体视角出发，
统一编制合规经营指导手册，一次性告知其合规经营要求，稳定经营主体监管预期; docs/industry.md).

Compiled from what is already public or aggregate: the industry's published inspection items of
the area (单部门 and 部门联合: 抽查事项, 检查对象, 检查方式, 检查主体, 检查依据) and the year's
common problems (services/industry/evaluation.common_problems, counted in 户次).  It names no
entity, no inspector and no credit grade: it is written to be handed to the entities.
"""

from __future__ import annotations

from dataclasses import dataclass

from infrastructure.errors import NotFound
from models import CheckItem, User, db
from services.industry.evaluation import Key, Problem, area_of, common_problems, industry_items, task_ids

# The result categories an entity should know (seed 001 公示抽查检查结果), in its order.
RESULT_TYPES = (
    "未发现问题", "未按规定公示应当公示的信息", "通过登记的住所（经营场所）无法联系", "不配合检查情节严重",
    "未发现开展本次抽查涉及的经营活动", "发现问题，依法责令立即改正或者限期改正", "发现问题，待后续调查处理",
    "合格/不合格", "其他情况",
)


@dataclass(frozen=True)
class HandbookItem:
    name: str
    kind: str
    objects: str
    methods: str
    departments: str
    basis: str


@dataclass
class Handbook:
    key: Key
    area: str
    items: list[HandbookItem]
    problems: list[Problem]
    inspected: bool  # the year had joint inspections in the area

    @property
    def title(self) -> str:
        return f"{self.key.industry_name}合规经营指导手册"


def _departments(item: CheckItem) -> str:
    names = [p.department.name for p in item.parts if not p.declined] if item.parts else []
    return "、".join(names) or item.inspecting_body or item.department.name


def compile_handbook(user: User, key: Key) -> Handbook:
    """The handbook of ``key`` for the user's area; NotFound when the industry has no published item."""
    area = area_of(user)
    items = industry_items(area, key.industry)
    if not items:
        raise NotFound(f"{area.name}{key.label}尚无已公布的抽查事项，无法编制合规经营指导手册")
    ids = task_ids(area, key)
    problems = common_problems(ids)
    inspected = db.session.execute(ids.limit(1)).first() is not None
    rows = [
        HandbookItem(i.name, i.kind.label, i.objects, i.methods, _departments(i), i.basis or "—") for i in items
    ]
    return Handbook(key, area.name, rows, problems, inspected)
