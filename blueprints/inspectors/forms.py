"""Forms of the inspector directory.  The field rules are services.inspectors.check_values
(the same an A.5 import applies); the forms only carry the values."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from models import Department, Inspector
from models.inspectors import AuxiliaryInspector, AuxiliaryKind, DutyStatus
from services.inspectors import DELETE_SCOPES, TITLES
from services.templates_catalogue import INSPECTOR_CATEGORIES, SEXES


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


DATE_FIELDS = ("cert_valid_from", "cert_valid_to", "reported_on")
TAG_FIELDS = ("specialities", "qualifications", "matters")


class InspectorForm(FlaskForm):
    """表17 非模板导入 and 表18 修改执法检查人员 (no role or permission here)."""

    name = StringField(TITLES["name"], filters=[_strip])
    id_number = StringField(TITLES["id_number"], filters=[_strip])
    sex = SelectField(
        TITLES["sex"], choices=[SelectChoice("", "按身份证号"), *(SelectChoice(s, s) for s in SEXES)], validate_choice=False
    )
    mobile = StringField(TITLES["mobile"], filters=[_strip])
    department_id = SelectField(TITLES["department_id"], choices=[], validate_choice=False)
    section = StringField(TITLES["section"], filters=[_strip])
    post = StringField(TITLES["post"], filters=[_strip])
    area = StringField(TITLES["area"], filters=[_strip])
    category = SelectField(
        TITLES["category"],
        choices=[SelectChoice("", "请选择"), *(SelectChoice(c, c) for c in INSPECTOR_CATEGORIES)],
        validate_choice=False,
    )
    cert_issuer = StringField(TITLES["cert_issuer"], filters=[_strip])
    cert_no = StringField(TITLES["cert_no"], filters=[_strip])
    cert_valid_from = StringField(TITLES["cert_valid_from"], filters=[_strip])
    cert_valid_to = StringField(TITLES["cert_valid_to"], filters=[_strip])
    reported_on = StringField(TITLES["reported_on"], filters=[_strip])
    duty = SelectField(TITLES["duty"], choices=[SelectChoice(d.value, d.label) for d in DutyStatus], validate_choice=False)
    specialities = StringField(TITLES["specialities"], filters=[_strip])
    qualifications = StringField(TITLES["qualifications"], filters=[_strip])
    matters = TextAreaField(TITLES["matters"], filters=[_strip])
    note = TextAreaField(TITLES["note"], filters=[_strip])

    KEYS = (
        "name", "id_number", "sex", "mobile", "department_id", "section", "post", "area", "category", "cert_issuer",
        "cert_no", "cert_valid_from", "cert_valid_to", "reported_on", "duty", "specialities", "qualifications",
        "matters", "note",
    )

    def set_departments(self, departments: list[Department]) -> None:
        self.department_id.choices = [SelectChoice(str(d.id), d.name) for d in departments]

    def raw(self) -> dict[str, Any]:
        return {key: getattr(self, key).data for key in self.KEYS}

    def fill(self, inspector: Inspector) -> None:
        """The entry's values, except its ID number and mobile: personal data is not sent to
        the page unmasked (left blank, they are kept; see keep_personal_data)."""
        for key in self.KEYS:
            if key in ("id_number", "mobile"):
                value: Any = ""
            elif key in TAG_FIELDS:
                value = "、".join(getattr(inspector, key))
            elif key == "department_id":
                value = str(inspector.department_id)
            elif key == "duty":
                value = inspector.duty.value
            else:
                value = getattr(inspector, key)
                value = "" if value is None else str(value)
            getattr(self, key).data = value

    def keep_personal_data(self, inspector: Inspector) -> None:
        """修改: a blank ID number or mobile keeps the stored one."""
        if not self.id_number.data:
            self.id_number.data = inspector.id_number
        if not self.mobile.data:
            self.mobile.data = inspector.mobile

    def attach(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            field = getattr(self, key, None)
            if field is not None:
                field.errors = [*field.errors, message]


class DeleteForm(FlaskForm):
    scope = RadioField("删除方式", choices=[SelectChoice(k, v) for k, v in DELETE_SCOPES.items()], default="entry", validate_choice=False)


class AuxiliaryForm(FlaskForm):
    kind = SelectField("类别", choices=[SelectChoice(k.value, k.label) for k in AuxiliaryKind], validate_choice=False)
    name = StringField("名称（姓名或机构名称）", filters=[_strip])
    organization = StringField("所在单位", filters=[_strip])
    contact = StringField("联系人", filters=[_strip])
    phone = StringField("联系电话", filters=[_strip])
    field = StringField("专业领域", filters=[_strip])
    qualification = StringField("资质", filters=[_strip])

    KEYS = ("kind", "name", "organization", "contact", "phone", "field", "qualification")

    def raw(self) -> dict[str, Any]:
        return {key: getattr(self, key).data for key in self.KEYS}

    def fill(self, entry: AuxiliaryInspector) -> None:
        for key in self.KEYS:
            value = getattr(entry, key)
            getattr(self, key).data = value.value if key == "kind" else value
