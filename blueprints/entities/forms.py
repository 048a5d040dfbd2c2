"""Forms of the entity registry.  Each field is checked by the rule of services.entities (the
same rule an import applies); the service checks again, with uniqueness and the district."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from models.entity import CREDIT_GRADES, EntityStatus, EntityType, MarketEntity
from services.entity_fields import FIELD_BY_KEY, TITLE, parse_fields


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _label(key: str) -> str:
    return TITLE[key]


class EntityForm(FlaskForm):
    """登记 / 修改 a market entity."""

    name = StringField(_label("name"), filters=[_strip])
    uscc = StringField(_label("uscc"), filters=[_strip])
    reg_no = StringField(_label("reg_no"), filters=[_strip])
    entity_type = SelectField(
        _label("entity_type"),
        choices=[SelectChoice("", "请选择"), *(SelectChoice(t.value, t.label) for t in EntityType)],
        validate_choice=False,
    )
    legal_rep = StringField(_label("legal_rep"), filters=[_strip])
    domicile = StringField(_label("domicile"), filters=[_strip])
    business_address = StringField(_label("business_address"), filters=[_strip])
    division_code = StringField(_label("division_code"), filters=[_strip])
    division_name = StringField(_label("division_name"), filters=[_strip])
    industry_code = StringField(_label("industry_code"), filters=[_strip])
    industry_name = StringField(_label("industry_name"), filters=[_strip])
    business_scope = TextAreaField(_label("business_scope"), filters=[_strip])
    status = SelectField(
        _label("status"),
        choices=[SelectChoice(s.value, s.label) for s in EntityStatus],
        validate_choice=False,
    )
    established_on = StringField(_label("established_on"), filters=[_strip])
    registered_capital = StringField(_label("registered_capital"), filters=[_strip])
    phone = StringField(_label("phone"), filters=[_strip])
    tags = StringField(_label("tags"), filters=[_strip])
    credit_grade = SelectField(
        _label("credit_grade"),
        choices=[SelectChoice("", "未评定"), *(SelectChoice(g, g + "级") for g in CREDIT_GRADES)],
        validate_choice=False,
    )
    credit_grade_source = StringField(_label("credit_grade_source"), filters=[_strip])
    credit_grade_on = StringField(_label("credit_grade_on"), filters=[_strip])

    def raw(self) -> dict[str, Any]:
        """The submitted values by field key, for services.entities."""
        return {key: getattr(self, key).data for key in FIELD_BY_KEY}

    def fill(self, entity: MarketEntity) -> None:
        """Show an entity's values (GET of the edit form)."""
        for key in FIELD_BY_KEY:
            value = entity.tag_names if key == "tags" else getattr(entity, key)
            if key == "tags":
                value = "、".join(value)
            elif hasattr(value, "value"):
                value = value.value
            elif value is None:
                value = ""
            else:
                value = str(value)
            getattr(self, key).data = value

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        _values, errors = parse_fields(self.raw())
        for key, message in errors.items():
            getattr(self, key).errors = [*getattr(self, key).errors, message]
        return ok and not errors


class TagsForm(FlaskForm):
    tags = StringField("标签", filters=[_strip])

