"""Declarative building blocks for a process: lanes, steps, transitions.

A process is data, like Plone's DCWorkflow definitions: the engine (``engine.py``), the
swimlane diagrams (``diagram.py``), the inbox and ``flask processes --json`` all read it.
Step and lane names are the standard's text, character for character.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from models.roles import Role

END = "__end__"


class LaneKind(enum.StrEnum):
    ROLE = "role"  # any department; the instance's own department acts
    RELATION = "relation"  # a department related to this one instance (发起部门, 参与部门 …)
    PLATFORM = "platform"  # 智慧监管平台 itself: automatic steps
    EXTERNAL = "external"  # outside parties acting through limited accounts or APIs


@dataclass(frozen=True)
class Lane:
    name: str
    kind: LaneKind
    roles: tuple[Role, ...] = ()
    relation: str = ""
    # Users anywhere below the item's department may act (an inspector of a 市场监管所
    # acts for the bureau above it), and so may those below any department that takes
    # part in the instance (a joint team); otherwise the user's own department must match.
    subtree: bool = False

    @property
    def automatic(self) -> bool:
        return self.kind == LaneKind.PLATFORM


class StepKind(enum.StrEnum):
    TASK = "task"  # 业务流程环节
    DECISION = "decision"  # 判定条件
    AUTO = "auto"  # a platform step, run by the engine itself


@dataclass(frozen=True)
class Step:
    key: str
    name: str
    lanes: tuple[Lane, ...]
    kind: StepKind = StepKind.TASK
    # Narrows the lane's roles, e.g. 审核方案可行性 is the department leader's.
    roles: tuple[Role, ...] = ()
    # One work item per party department of the relation lanes (each answers for itself).
    per_party: bool = False
    # A document exchanged at this step (表1 文档 symbol), e.g. "检查情况记录表".
    document: str = ""

    @property
    def lane_name(self) -> str:
        """Lane as the standard's table writes it: several roles joined by 、."""
        return "、".join(lane.name for lane in self.lanes)

    @property
    def automatic(self) -> bool:
        return self.kind == StepKind.AUTO

    def acting_roles(self, lane: Lane) -> tuple[Role, ...]:
        return self.roles or lane.roles


class TransitionKind(enum.StrEnum):
    FORWARD = "forward"
    RETURN = "return"  # 退回: back to an earlier step, a reason is required


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str = ""
    # The choice a user makes at the source step; "" for the only way on.
    outcome: str = "next"
    kind: TransitionKind = TransitionKind.FORWARD
    # Name of a guard in ``workflows.guards``: the transition is open only when it holds.
    guard: str = ""
    # Ends the instance as 已终止 rather than 已办结 (判断是否终止: 是).
    terminates: bool = False
    # On a per-party decision, a party choosing this outcome drops out of later per-party steps.
    drops_party: bool = False
    requires_comment: bool = False

    @property
    def button(self) -> str:
        return self.label or "提交"


@dataclass(frozen=True)
class Process:
    table: int
    section: str
    title: str
    lanes: tuple[Lane, ...]
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...]
    # Relations a starter must fill in (e.g. 参与部门) besides the initiating department.
    party_relations: tuple[str, ...] = field(default=())
    # Relations a starter may fill in, or leave empty (专项整治 without 联合执法).
    optional_relations: tuple[str, ...] = field(default=())

    @property
    def starter_relations(self) -> tuple[str, ...]:
        return self.party_relations + self.optional_relations

    @property
    def figure(self) -> int:
        """图1–图31: 表3 is drawn as 图1, and 表26 (the risk-rule table) has no figure."""
        return self.table - 2 if self.table < 26 else self.table - 3

    @property
    def start(self) -> Step:
        return self.steps[0]

    def step(self, key: str) -> Step:
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    def step_name(self, key: str) -> str:
        """For display: the step's name, or a marker for a key these definitions lack."""
        return self.step(key).name if self.has_step(key) else f"未知的业务环节（{key}）"

    def has_step(self, key: str) -> bool:
        return any(s.key == key for s in self.steps)

    def outgoing(self, key: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == key]

    def as_json(self) -> dict:
        return {
            "table": self.table,
            "section": self.section,
            "title": self.title,
            "lanes": [lane.name for lane in self.lanes],
            "steps": [{"name": s.name, "lane": s.lane_name} for s in self.steps],
        }

    def validate(self) -> None:
        """Raise ValueError when the data is inconsistent; run by the registry at import."""
        keys = [s.key for s in self.steps]
        if len(keys) != len(set(keys)):
            raise ValueError(f"表{self.table}: duplicate step keys")
        for s in self.steps:
            for lane in s.lanes:
                if lane not in self.lanes:
                    raise ValueError(f"表{self.table}: step {s.key} uses lane {lane.name} not declared")
            if s.automatic and any(not lane.automatic for lane in s.lanes):
                raise ValueError(f"表{self.table}: automatic step {s.key} outside the platform lane")
        for t in self.transitions:
            if t.source not in keys or (t.target != END and t.target not in keys):
                raise ValueError(f"表{self.table}: transition {t.source}->{t.target} names an unknown step")
        for s in self.steps:
            if not self.outgoing(s.key):
                raise ValueError(f"表{self.table}: step {s.key} has no way out")
            outcomes = [t.outcome for t in self.outgoing(s.key)]
            if not s.automatic and len(outcomes) != len(set(outcomes)):
                raise ValueError(f"表{self.table}: step {s.key} repeats an outcome")
        reachable = {self.start.key}
        frontier = [self.start.key]
        while frontier:
            for t in self.outgoing(frontier.pop()):
                if t.target != END and t.target not in reachable:
                    reachable.add(t.target)
                    frontier.append(t.target)
        missing = set(keys) - reachable
        if missing:
            raise ValueError(f"表{self.table}: unreachable steps {sorted(missing)}")
