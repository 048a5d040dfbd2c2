"""Forms of the object directories: the template upload (表15 按模板导入)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from services.directories import IMPORT_TEMPLATES


class UploadForm(FlaskForm):
    item = HiddenField()
    template = SelectField(
        "模板",
        choices=[SelectChoice(code, f"{code} {spec.template.title}") for code, spec in IMPORT_TEMPLATES.items()],
        validators=[InputRequired("请选择模板")],
    )
    file = FileField("填好的模板文件（.xlsx 或 CSV）", validators=[FileRequired("请选择要上传的文件")])
