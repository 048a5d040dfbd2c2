"""/daily/categories: 监管分类 of the department (seed 004 §2.1), its keywords, members and
feedback form."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from blueprints.common import current_actor
from blueprints.daily.views import KEEPERS, act, bp, own, selected_ids
from blueprints.web import roles_required
from infrastructure.errors import ServiceError
from models import MarketEntity, db
from models.daily import CategoryKind, CategoryMember, SupervisedObject, SupervisionCategory
from services.daily import categories


def _form_page(category: SupervisionCategory | None, form: Any = None, error: str = "", status: int = 200) -> Any:
    values = form or ({} if category is None else {
        "name": category.name, "kind": category.kind.value, "keywords": category.keywords,
        "cycle_days": category.cycle_days, "lead_days": category.lead_days, "remind_days": category.remind_days,
        "warn_days": category.warn_days, "due_days": category.due_days, "form": categories.form_text(category.form)})
    members = []
    if category is not None:
        members = db.session.execute(
            select(SupervisedObject, CategoryMember.manual).join(CategoryMember, CategoryMember.object_id ==
                                                                 SupervisedObject.id)
            .join(MarketEntity, MarketEntity.id == SupervisedObject.entity_id)
            .where(CategoryMember.category_id == category.id).order_by(MarketEntity.name).limit(200)).all()
    return render_template("daily/category.html", category=category, form=values, error=error,
                           kinds=list(CategoryKind), members=members), status


@bp.route("/categories")
@login_required
@roles_required(*KEEPERS)
def categories_page():
    me = current_actor()
    rows = categories.categories_of(me.department_id)
    counts = {c.id: categories.member_count(db.session, c.id) for c in rows}
    return render_template("daily/categories.html", rows=rows, counts=counts)


@bp.route("/categories/new", methods=["GET", "POST"])
@login_required
@roles_required(*KEEPERS)
def new_category():
    if request.method == "GET":
        return _form_page(None)
    try:
        made = categories.save(current_actor(), request.form)
    except ServiceError as exc:
        db.session.rollback()
        return _form_page(None, request.form, exc.message, exc.status)
    categories.classify(db.session, made)
    db.session.commit()
    flash("已保存监管分类", "success")
    return redirect(url_for("daily.category", id=made.id))


@bp.route("/categories/<int:id>", methods=["GET", "POST"])
@login_required
@roles_required(*KEEPERS)
def category(id: int):
    row = own(SupervisionCategory, id)
    if request.method == "GET":
        return _form_page(row)
    try:
        categories.save(current_actor(), request.form, row)
    except ServiceError as exc:
        db.session.rollback()
        return _form_page(row, request.form, exc.message, exc.status)
    categories.classify(db.session, row)
    db.session.commit()
    flash("已保存监管分类", "success")
    return redirect(url_for("daily.category", id=row.id))


@bp.route("/categories/<int:id>/classify", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def classify(id: int):
    row = own(SupervisionCategory, id)
    return act(lambda: categories.classify(db.session, row), "已按关键字分类，本分类现有监管对象 {result} 户",
               url_for("daily.category", id=row.id))


@bp.route("/categories/<int:id>/place", methods=["POST"])
@login_required
@roles_required(*KEEPERS)
def place(id: int):
    """Manual placement: objects by id (from the objects page) or one by name or code."""
    row = own(SupervisionCategory, id)
    me = current_actor()
    adding = request.form.get("action", "add") == "add"

    def run() -> int:
        ids = selected_ids()
        text = request.form.get("query", "").strip()
        query = select(SupervisedObject).where(SupervisedObject.department_id == me.department_id,
                                               SupervisedObject.active.is_(True))
        if text:
            query = query.join(MarketEntity, MarketEntity.id == SupervisedObject.entity_id).where(
                (MarketEntity.name == text) | (MarketEntity.uscc == text.upper()))
        else:
            query = query.where(SupervisedObject.id.in_(ids))
        chosen = list(db.session.execute(query).scalars())
        return categories.place(me, row, chosen, adding)

    return act(run, ("已加入" if adding else "已移出") + " {result} 户", url_for("daily.category", id=row.id))
