"""Forms of the administration chapter.  Format checks live here for immediate feedback;
the services check again (and check uniqueness), so imports obey the same rules."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from infrastructure.validators import (
    ACCOUNT_RULE,
    normalize_id_number,
    parse_mobile,
    valid_id_number,
)
from models.org import DepartmentKind, DepartmentLevel
from services.users import account_taken, id_number_taken

_DEPT_CHOICE = "请选择您管理范围内的在用部门"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _mobile(_form: FlaskForm, field: StringField) -> None:
    try:
        parse_mobile(field.data)
    except ValueError as exc:
        raise ValidationError(f"手机号码{exc}") from None


def _id_number(_form: FlaskForm, field: StringField) -> None:
    if field.data and not valid_id_number(normalize_id_number(field.data)):
        raise ValidationError("身份证号不正确（18位，末位为数字或X，须通过校验位校验）")


class _IntegerField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("请填写整数") from None


class DepartmentForm(FlaskForm):
    name = StringField(
        "部门名称",
        filters=[_strip],
        validators=[DataRequired("请填写部门名称"), Length(max=100, message="不超过100个字")],
    )
    level = SelectField(
        "层级",
        choices=[SelectChoice(lvl.value, lvl.label) for lvl in DepartmentLevel],
        invalid_choice_message="请选择层级",
    )
    kind = SelectField(
        "类型",
        choices=[SelectChoice(k.value, k.label) for k in DepartmentKind],
        invalid_choice_message="请选择类型",
    )
    region_code = StringField(
        "行政区划代码",
        filters=[_strip],
        validators=[DataRequired("请填写行政区划代码"), Regexp(r"^\d{6,12}$", message="应为6–12位数字")],
    )
    sort_order = _IntegerField(
        "排序号", default=0, validators=[Optional(), NumberRange(0, 9999, "应为0–9999的整数")]
    )

    def limit_levels(self, levels: list[DepartmentLevel]) -> None:
        self.level.choices = [SelectChoice(lvl.value, lvl.label) for lvl in levels]


def department_select(field: SelectField, choices: list[tuple[int, str]]) -> None:
    """Fill a department select with (id, label) pairs."""
    field.choices = [SelectChoice(ident, label) for ident, label in choices]  # type: ignore[arg-type]


class UserForm(FlaskForm):
    """新增用户."""

    account = StringField(
        "账号",
        filters=[_strip],
        validators=[DataRequired("请填写账号"), Regexp(r"^[A-Za-z0-9_.-]{4,64}$", message=ACCOUNT_RULE)],
    )
    name = StringField(
        "姓名",
        filters=[_strip],
        validators=[DataRequired("请填写姓名"), Length(max=50, message="不超过50个字")],
    )
    department_id = SelectField(
        "所属部门", coerce=int, invalid_value_message=_DEPT_CHOICE, invalid_choice_message=_DEPT_CHOICE
    )
    mobile = StringField("手机号码", filters=[_strip], validators=[DataRequired("请填写手机号码"), _mobile])
    email = StringField("电子邮箱", filters=[_strip], validators=[Optional(), Length(max=120, message="不超过120个字符")])
    id_number = StringField("身份证号", filters=[_strip], validators=[Optional(), _id_number])

    def validate_account(self, field: StringField) -> None:
        """Shown together with the other fields' errors; the service checks again."""
        if field.data and account_taken(field.data):
            raise ValidationError(f"账号“{field.data}”已存在（账号不区分大小写）")

    def validate_id_number(self, field: StringField) -> None:
        value = normalize_id_number(field.data)
        if value and valid_id_number(value) and id_number_taken(value):
            raise ValidationError("该身份证号已被其他账号使用")


class UserEditForm(FlaskForm):
    """修改用户: mobile and ID number are not shown unmasked; blank keeps them."""

    name = StringField(
        "姓名",
        filters=[_strip],
        validators=[DataRequired("请填写姓名"), Length(max=50, message="不超过50个字")],
    )
    department_id = SelectField(
        "所属部门", coerce=int, invalid_value_message=_DEPT_CHOICE, invalid_choice_message=_DEPT_CHOICE
    )
    mobile = StringField("手机号码", filters=[_strip], validators=[Optional(), _mobile])
    email = StringField("电子邮箱", filters=[_strip], validators=[Optional(), Length(max=120, message="不超过120个字符")])
    id_number = StringField("身份证号", filters=[_strip], validators=[Optional(), _id_number])
