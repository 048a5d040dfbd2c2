"""专项整治对象库 by import (seed 004 §4.1 手工导入专项整治的监管对象): the A.4.2 template
(企业名称, 社会信用代码, 注册号, 标签), each row matched to the registry as a library upload is
(services/library_matching.py), the matched entities added to a draft campaign of the
clerk's department (``?campaign_id=``).  An entity already in the library is left as it is.
The natural key is the matched entity: two rows naming one entity refuse each other.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from infrastructure.errors import Conflict, NotFound
from infrastructure.excel import Row
from models import Campaign, ImportBatch, MarketEntity, User, db
from models.campaigns import CampaignStatus
from persistence import audit
from services import library_matching
from services.campaigns import access
from services.campaigns import library as campaign_library
from services.imports.framework import ImportKind, ImportRow
from services.imports.registry import register
from services.templates_catalogue import TEMPLATES


def _campaign(actor: User, context: dict[str, Any]) -> Campaign:
    campaign = db.session.get(Campaign, int(context.get("campaign_id") or 0))
    if campaign is None or not access.is_initiator(actor, campaign):
        raise NotFound("专项整治不存在")
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict("该专项整治已提交审批，不能再导入对象")
    return campaign


class CampaignObjectImport(ImportKind):
    name = "campaign_a42"
    title = "导入专项整治对象（A.4.2 营利性市场主体）"
    template = TEMPLATES["A.4.2"]
    max_rows = campaign_library.MAX_OBJECTS
    name_column = "企业名称"
    key_column = "社会信用代码"
    key_label = "（同一市场主体）"
    steps = ("各行按社会信用代码（没有时按注册号）与市场主体库匹配，确认后加入专项整治对象库；已在对象库中的主体不重复加入。",)

    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return actor.has_role(*access.STAFF_ROLES)

    def load_context(self, actor: User, args: dict[str, Any]) -> dict[str, Any]:
        raw = str(args.get("campaign_id", ""))
        if not raw.isdigit():
            raise NotFound("专项整治不存在")
        return {"campaign_id": _campaign(actor, {"campaign_id": raw}).id}

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        _campaign(actor, context)

    def context_note(self, context: dict[str, Any]) -> str:
        campaign = db.session.get(Campaign, int(context.get("campaign_id") or 0))
        return f"专项整治：{campaign.title}" if campaign else ""

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        matches = library_matching.match_a42(actor, rows)
        return [ImportRow(r, matches.get(r.number)) for r in rows]

    def natural_key(self, item: ImportRow) -> Hashable | None:
        return item.payload[0] if item.payload else None

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        campaign = _campaign(actor, context)
        ids = sorted({r.payload[0] for r in rows})
        before = campaign_library.count(campaign)
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            db.session.execute(campaign_library.insert_statement(
                campaign.id, campaign.department_id, [MarketEntity.id.in_(chunk)], "导入"))
        added = campaign_library.count(campaign) - before
        campaign.library_note = "；".join(p for p in (campaign.library_note, f"导入{batch.filename}") if p)[:2000]
        audit.record("import_objects", object_type="campaign", object_id=campaign.id,
                     summary={"文件": batch.filename, "有效行": len(rows), "新增对象": added}, user=actor)
        return {"新增对象": added, "已在对象库": len(ids) - added, "campaign_id": campaign.id}

    def result_text(self, result: dict[str, Any]) -> str:
        return f"已加入专项整治对象库 {result.get('新增对象', 0)} 户（已在对象库 {result.get('已在对象库', 0)} 户）"

    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        return "专项整治", "campaigns.show", {"id": context.get("campaign_id")}


KIND = register(CampaignObjectImport())
