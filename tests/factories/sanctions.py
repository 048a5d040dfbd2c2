"""Shared setup for the 联合奖惩 tests (表29–表31): a 牵头部门 in each district (甲区发展和改革局,
乙区发展和改革局) and helpers that add and publish catalogue entries."""

from __future__ import annotations

from typing import Any

from models import Department, SanctionEntry, User, db
from models.roles import Role
from services.sanctions import catalogue


class Setup:
    def __init__(self, org: Any, make_department: Any, make_user: Any) -> None:
        self.org = org
        self.ndrc_a: Department = make_department("甲区发展和改革局", org.district_a)
        self.ndrc_b: Department = make_department("乙区发展和改革局", org.district_b, region_code="510109")
        self.lead: User = make_user(self.ndrc_a, Role.LEADING_DEPARTMENT, name="甲区发改委经办人")
        self.lead2: User = make_user(self.ndrc_a, Role.LEADING_DEPARTMENT, name="甲区发改委科长")
        self.lead_b: User = make_user(self.ndrc_b, Role.LEADING_DEPARTMENT, name="乙区发改委经办人")
        self.ndrc_clerk: User = make_user(self.ndrc_a, Role.CLERK, name="甲区发改委普通经办人")

    def form(self, **over: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "punish", "nature": "严重违法失信名单", "behaviour": "严重违法失信企业",
            "source_agency": "甲区市场监督管理局", "legal_basis": "《失信企业协同监管和联合惩戒合作备忘录》",
            "starts_on": "2026-01-01", "ends_on": "2028-12-31",
        }
        data.update(over)
        return data

    def measures(self, *pairs: tuple[Department, str]) -> tuple[list[str], list[str]]:
        pairs = pairs or ((self.org.health_a, "限制参加政府采购"), (self.org.safety_a, "限制取得安全生产许可"))
        return [str(d.id) for d, _ in pairs], [c for _, c in pairs]

    def fields(self, **over: Any) -> dict[str, Any]:
        depts, contents = self.measures(*over.pop("measures", ()))
        return catalogue.read_form(self.lead, self.form(**over), depts, contents)

    def add(self, **over: Any) -> SanctionEntry:
        entry = catalogue.create_entry(self.lead, self.fields(**over))
        db.session.commit()
        return entry

    def published(self, **over: Any) -> SanctionEntry:
        entry = self.add(**over)
        catalogue.publish(self.lead, entry)
        db.session.commit()
        return entry

    # ---------------------------------------------------------------- 表29

    def entity(self, n: int = 1) -> Any:
        from tests.factories.risk_pages import entity

        return entity(self.org, n)

    def obj_row(self, entry: SanctionEntry, code: str, **over: Any) -> dict[str, Any]:
        row = {"subject": "entity", "code": code, "name": "", "entry": str(entry.id), "basis": "（2026）川0108执123号",
               "decided_on": "2026-03-01", "valid_until": "2029-03-01"}
        row.update(over)
        return row

    def listed(self, entry: SanctionEntry | None = None, *, publicize: bool = True, people: bool = True) -> Any:
        """A list of district A's bureau with one entity (and one person), formed and published."""
        from services.sanctions import lists
        from tests.factories.dossier import id_number

        entry = entry or self.published()
        lst = lists.create_list(self.org.clerk_a, "2026年第一批严重违法失信名单")
        rows = [self.obj_row(entry, self.entity(1).uscc)]
        if people:
            rows.append(self.obj_row(entry, id_number("19900307451"), subject="person", name="张三"))
        lists.add_objects(self.org.clerk_a, lst, rows)
        lists.form_list(self.org.clerk_a, lst)
        if publicize:
            lists.publicize(self.org.clerk_a, lst)
        db.session.commit()
        return lst
