"""The scoring standard (附：考核评分标准) as data: five areas, their weights and items.

An item is either computed from the platform's records (``auto``) or judged by the assessing
office (human).  ``per`` is the deduction of one finding, ``cap`` the most the item deducts;
an area never scores below 0.  The readings of the seed's words are in docs/assessment.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    weight: int


@dataclass(frozen=True)
class Item:
    code: str
    area: str
    name: str  # 指标说明, abridged
    standard: str  # 细化标准, word for word
    per: int
    cap: int
    auto: bool = False

    @property
    def choices(self) -> list[int]:
        """The deductions the office may give a judged item: multiples of ``per`` up to ``cap``."""
        return list(range(0, self.cap + 1, self.per))


AREAS: tuple[Area, ...] = (
    Area("system", "制度健全", 20),
    Area("sharing", "数据共享", 30),
    Area("evaluation", "数据评估", 20),
    Area("response", "及时响应", 20),
    Area("security", "数据安全", 10),
)
AREA_BY_CODE = {a.code: a for a in AREAS}

ITEMS: tuple[Item, ...] = (
    Item("S1", "system", "建立对区事中事后综合监管平台的本部门使用管理制度和联络员制度", "未建立相关制度扣5分。", 5, 5),
    Item("S2", "system", "明确区事中事后综合监管平台使用相关工作的分管领导、联络员、单位系统管理员",
         "每未明确一名责任人员扣5分。", 5, 15),
    Item("D1", "sharing", "有区级独立监管系统的单位，将数据对接入区事中事后综合监管平台",
         "未向区事中事后综合监管平台归集区级独立系统数据的，扣10分。", 10, 10),
    Item("D2", "sharing", "自系统数据产生之日起5个工作日内，将数据对接入区事中事后综合监管平台",
         "每发现一次未及时对接数据的，每次扣5分，上限10分。", 5, 10, auto=True),
    Item("D3", "sharing", "自联合惩戒信息和预警信息产生之日起5个工作日内，将信息导入或录入区事中事后综合监管平台",
         "每发现一起未录入或未及时录入的数据，扣5分，上限20分。", 5, 20, auto=True),
    Item("E1", "evaluation", "及时录入或导入本单位监管数据；直接应用平台记录监管数据；按时开展双随机抽查工作",
         "按监管工作量和数据量整体评估；按数据录入情况整体评估；按市编办“双随机、一公开”相关要求整体评估。", 1, 20),
    Item("R1", "response", "对双告知信息、联合惩戒信息、预警信息等信息于1个工作日内接收或响应",
         "每发现一起未接收响应或未按时接收响应，扣2分，上限10分。", 2, 10, auto=True),
    Item("R2", "response", "对双告知抄告自发证之日起5个工作日内反馈办证情况，其他未办证情况及时反馈",
         "每发现一起未反馈或未按时反馈，扣2分，上限10分。", 2, 10, auto=True),
    Item("X1", "security", "加强对区事中事后综合监管平台信息的安全管理和保存", "平台安全管理状况整体评估。", 1, 10),
    Item("X2", "security", "不得以不正当手段归集、篡改、虚构平台信息，未经授权不得使用、违规披露、泄露或向第三方提供平台信息",
         "发生泄密事件，扣10分。", 10, 10),
)
ITEM_BY_CODE = {i.code: i for i in ITEMS}
HUMAN_ITEMS = tuple(i for i in ITEMS if not i.auto)
AUTO_ITEMS = tuple(i for i in ITEMS if i.auto)

CUTOFF_MONTH, CUTOFF_DAY = 12, 15  # 根据平台截至12月15日的年度平台使用数据
FIRST_YEAR = 2017  # 本考核办法自2017年1月1日起施行
ENTRY_WORKDAYS = 5  # 产生之日起5个工作日内
RESPONSE_WORKDAYS = 1  # 1个工作日内接收或响应
FEEDBACK_WORKDAYS = 5  # 自发证之日起5个工作日内反馈
# 其他未办证情况及时反馈: 行政许可法 §42 (二十日, 以工作日计算 §82) for the decision, then the 5 days above.
OTHER_FEEDBACK_WORKDAYS = 20 + FEEDBACK_WORKDAYS
