from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import PlajuForm


class LoginForm(PlajuForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class PasswordForm(PlajuForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))])
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=10, message=_l("The new password must be at least 10 characters long."))])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("new", message=_l("The two new passwords are not the same."))])
