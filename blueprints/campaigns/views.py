"""/campaigns: 专项整治 (表23, docs/campaigns.md) — the campaign's own page and its steps.

The 发起部门 drafts the plan, its 反馈内容 and its object library, a leader approves, the
department publishes; 参与部门 receive it and pass objects on; each handling department assigns
inspectors; reports, 梳理汇总, 情况通报 and 接收通报 are all done here.  Objects' pages, the
summary and the overview are in blueprints/campaigns/objects.py.  Views load (404 when absent
or not visible), call services/campaigns and commit once; a refused form shows the page again
with the message, what was typed and the status (400 input, 403 not the user's, 409 stale or
already done, 422 a deadline without the year's holiday table).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select

from blueprints.common import current_actor, get_visible_or_404
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import Campaign, CampaignObject, Department, MarketEntity, db
from models.campaigns import MODES, CampaignStatus, FieldKind
from models.roles import Role
from persistence.scope import subtree_ids
from services.campaigns import access, assign, feedback, library, plans, reports

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

VIEW_ROLES = (Role.CLERK, Role.DEPT_LEADER, Role.INSPECTOR)
STAFF = (Role.CLERK, Role.DEPT_LEADER)
PAGE_SIZE = 50


def load(campaign_id: int) -> Campaign:
    return get_visible_or_404(Campaign, campaign_id, access.can_view)


def version(name: str = "lock_version") -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


def act(action: Callable[[], Any], done: str, target: str, page: Callable[..., Any]) -> Any:
    """Run a service verb: commit and go to ``target``, or roll back (keeping a wrong signing
    password's count) and show the page again with the message and the form as typed."""
    try:
        result = action()
    except ServiceError as exc:
        if getattr(exc, "persist", False):
            db.session.commit()
        else:
            db.session.rollback()
        return page(error=exc.message, status=exc.status, form=request.form)
    db.session.commit()
    flash(done.format(result=result), "success")
    return redirect(target)


@bp.route("/")
@login_required
@roles_required(*VIEW_ROLES)
def index():
    me = current_actor()
    rows = db.session.execute(access.list_query(me).limit(500)).scalars().all()
    return render_template("campaigns/index.html", campaigns=rows, me=me, can_create=me.has_role(*STAFF))


def _new_page(error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    return render_template("campaigns/new.html", error=error, form=form or {}, modes=MODES,
                           departments=plans.participant_choices(me)), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required(*STAFF)
def new():
    if request.method == "GET":
        return _new_page()
    me = current_actor()
    try:
        made = plans.create_campaign(me, request.form)
    except ServiceError as exc:
        db.session.rollback()
        return _new_page(exc.message, exc.status, request.form)
    db.session.commit()
    flash("已保存专项整治方案草稿，请定制反馈内容并建立专项整治对象库", "success")
    return redirect(url_for("campaigns.show", id=made.id))


def _objects_page(campaign: Campaign, me: Any) -> tuple[list[CampaignObject], int, int]:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(CampaignObject).where(CampaignObject.campaign_id == campaign.id)
    if not me.department.is_within(campaign.department) and not access.is_leader(me, campaign):
        party = next((p for p in campaign.parties if me.department.is_within(p.department)), None)
        query = query.where(CampaignObject.department_id.in_(subtree_ids(party.department if party else me.department)))
    status = request.args.get("status", "")
    if status:
        query = query.where(CampaignObject.status == status)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.join(MarketEntity, MarketEntity.id == CampaignObject.entity_id)
                              .order_by(CampaignObject.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
                              ).scalars().all()
    return list(rows), int(total), page


def show_page(campaign: Campaign, *, error: str = "", status: int = 200, form: Any = None) -> Any:
    me = current_actor()
    objects, total, page = _objects_page(campaign, me)
    bulletin = campaign.bulletin
    party = access.party_of(me, campaign)
    return render_template(
        "campaigns/show.html", c=campaign, me=me, error=error, form=form or {}, S=CampaignStatus, K=FieldKind,
        plan_form=(form or {}) if request.endpoint == "campaigns.edit" else {},
        access=access, initiator=access.is_initiator(me, campaign), leader=access.is_leader(me, campaign),
        party=party, open=lambda key: access.step_open(me, campaign, key), step=access.current_step(campaign),
        objects=objects, total=total, page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        live=library.count(campaign), grades=library.GRADES, default_grades=library.DEFAULT_GRADES,
        rules=library.rule_choices() if campaign.status == CampaignStatus.DRAFT else [],
        reusable=feedback.reusable(me, campaign) if access.is_initiator(me, campaign) else [],
        may_adjust=library.may_adjust(me, campaign), assign_unit=assign.unit_of(me, campaign),
        candidates=assign.candidates(me) if assign.unit_of(me, campaign) else [], assign_modes=assign.MODES,
        inspector_draws=assign.draws(me, campaign) if assign.unit_of(me, campaign) else [],
        parts=reports.parts(campaign) if access.published(campaign) else [],
        signed=bool(bulletin and party and party.received_bulletin_at),
        subunits=_subunits(party) if party else [], modes=MODES,
        departments=plans.participant_choices(me) if campaign.status == CampaignStatus.DRAFT else [],
    ), status


def _subunits(party: Any) -> list[Any]:
    return list(db.session.execute(select(Department).where(
        Department.path.startswith(party.department.path), Department.id != party.department_id,
        Department.active.is_(True)).order_by(Department.path)).scalars())


@bp.route("/<int:id>")
@login_required
@roles_required(*VIEW_ROLES)
def show(id: int):
    return show_page(load(id))


def post(id: int, verb: Callable[[Any, Campaign], Any], done: str) -> Any:
    c = load(id)
    me = current_actor()
    return act(lambda: verb(me, c), done, url_for("campaigns.show", id=c.id), lambda **kw: show_page(c, **kw))


@bp.route("/<int:id>/edit", methods=["POST"])
@login_required
@roles_required(*STAFF)
def edit(id: int):
    return post(id, lambda me, c: plans.update_campaign(me, c, version(), request.form), "已保存专项整治方案")


@bp.route("/<int:id>/fields", methods=["POST"])
@login_required
@roles_required(*STAFF)
def add_field(id: int):
    return post(id, lambda me, c: feedback.add_field(me, c, request.form), "已添加反馈项")


@bp.route("/<int:id>/fields/<int:field_id>/delete", methods=["POST"])
@login_required
@roles_required(*STAFF)
def remove_field(id: int, field_id: int):
    return post(id, lambda me, c: feedback.remove_field(me, c, field_id), "已删除反馈项")


@bp.route("/<int:id>/fields/copy", methods=["POST"])
@login_required
@roles_required(*STAFF)
def copy_fields(id: int):
    return post(id, lambda me, c: feedback.copy_fields(me, c, request.form.get("source")), "已复用反馈项{result}个")


@bp.route("/<int:id>/library", methods=["POST"])
@login_required
@roles_required(*STAFF)
def build_library(id: int):
    return post(id, lambda me, c: library.build(me, c, request.form), "已加入专项整治对象库{result}户")


@bp.route("/<int:id>/library/clear", methods=["POST"])
@login_required
@roles_required(*STAFF)
def clear_library(id: int):
    return post(id, lambda me, c: library.clear(me, c), "已清空专项整治对象库")


@bp.route("/<int:id>/library/add", methods=["POST"])
@login_required
@roles_required(*STAFF)
def add_object(id: int):
    return post(id, lambda me, c: library.add_by_code(me, c, request.form.get("code", "")), "已加入对象库")


@bp.route("/<int:id>/allocate", methods=["POST"])
@login_required
@roles_required(*STAFF)
def allocate(id: int):
    def verb(me: Any, c: Campaign) -> int:
        moved = library.allocate(me, c, request.form)
        assign.passed_on(me, c)
        return moved
    return post(id, verb, "已分派对象{result}户")


@bp.route("/<int:id>/submit", methods=["POST"])
@login_required
@roles_required(*STAFF)
def submit(id: int):
    return post(id, lambda me, c: plans.submit(me, c, version()), "已提交领导审批")


@bp.route("/<int:id>/approve", methods=["POST"])
@login_required
@roles_required(Role.DEPT_LEADER)
def approve(id: int):
    yes = request.form.get("decision") == "approve"
    return post(id, lambda me, c: plans.decide(me, c, version(), yes, request.form.get("approval_note", "")),
                "已审批通过" if yes else "已退回")


@bp.route("/<int:id>/publish", methods=["POST"])
@login_required
@roles_required(*STAFF)
def publish(id: int):
    return post(id, lambda me, c: plans.publish(me, c, version()), "已发布专项整治方案")


@bp.route("/<int:id>/deploy", methods=["POST"])
@login_required
@roles_required(*STAFF)
def deploy(id: int):
    return post(id, lambda me, c: plans.deploy(me, c, version(), request.form), "已部署开展专项整治执法")


@bp.route("/<int:id>/receive", methods=["POST"])
@login_required
@roles_required(*STAFF)
def receive(id: int):
    return post(id, lambda me, c: plans.receive(me, c, version(), request.form), "已接收专项整治方案")


@bp.route("/<int:id>/assign", methods=["POST"])
@login_required
@roles_required(*STAFF)
def assign_inspectors(id: int):
    return post(id, lambda me, c: assign.assign(me, c, request.form), "已指派执法人员（{result}户）")


@bp.route("/<int:id>/inspectors-report", methods=["POST"])
@login_required
@roles_required(Role.INSPECTOR)
def inspectors_report(id: int):
    return post(id, lambda me, c: reports.inspectors_report(me, c, request.form), "已上报检查结果")


@bp.route("/<int:id>/report", methods=["POST"])
@login_required
@roles_required(*STAFF)
def party_report(id: int):
    return post(id, lambda me, c: reports.party_report(me, c, version(), request.form), "已向发起部门上报检查结果")


@bp.route("/<int:id>/summarize", methods=["POST"])
@login_required
@roles_required(*STAFF)
def summarize(id: int):
    return post(id, lambda me, c: reports.summarize(me, c, version(), request.form), "已梳理汇总")


@bp.route("/<int:id>/bulletin", methods=["POST"])
@login_required
@roles_required(*STAFF)
def bulletin(id: int):
    return post(id, lambda me, c: reports.issue_bulletin(me, c, version(), request.form), "已下发情况通报")


@bp.route("/<int:id>/receive-bulletin", methods=["POST"])
@login_required
@roles_required(*STAFF)
def receive_bulletin(id: int):
    return post(id, lambda me, c: reports.receive_bulletin(me, c, request.form.get("password", ""),
                                                           version("version")), "已接收通报")
