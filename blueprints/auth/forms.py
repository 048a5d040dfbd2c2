from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    account = StringField("账号", validators=[DataRequired("请输入账号"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("原密码", validators=[DataRequired("请输入原密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField("确认新密码", validators=[DataRequired("请再次输入新密码")])
