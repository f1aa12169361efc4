from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from ..forms import PlajuForm
from ..i18n import lazy_gettext as _l


class LoginForm(PlajuForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username."))],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class PasswordForm(PlajuForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
                            render_kw={"autocomplete": "current-password"})
    # length and strength are checked by passwords.problem() in the service, the one place for the rules
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"), render_kw={"autocomplete": "new-password"}, validators=[
        EqualTo("new", message=_l("The two new passwords are not the same."))])
