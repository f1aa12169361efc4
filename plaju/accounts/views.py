from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.urls import is_local_url
from ..extensions import limiter, login_manager
from ..htmx import render_page_or_block, wants_fragment
from ..i18n import gettext as _
from . import passwords, sessions
from .forms import LoginForm, PasswordForm
from .services import LoginFailed, authenticate, change_password, sign_out

bp = Blueprint("accounts", __name__)
bp.before_app_request(sessions.enforce)

login_manager.login_view = "accounts.login"
login_manager.session_protection = "strong"


@login_manager.unauthorized_handler
def _unauthorized():
    if sessions.passive_request():  # a counter's poll: its page stays (a form on it is not lost); the next
        return "", 204                # step the person takes leads to the sign-in, and back
    flash(_("Please sign in first."), "info")
    target = url_for("accounts.login", next=sessions.back_after_sign_in())
    if request.headers.get("HX-Request"):
        # a fragment cannot show a login page: send the whole browser there
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def _login_key() -> str:
    return f"{request.remote_addr}|{(request.form.get('username') or '').strip().lower()}"


def _address_key() -> str:
    # request.remote_addr is the client's own address: behind a trusted proxy, the forwarded one
    return f"login-address|{request.remote_addr}"


def _failed(response) -> bool:
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    return target if is_local_url(target) else url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
# failures per account and address, and per address across all accounts (guessing many usernames)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], key_func=_login_key, methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_LIMIT"], key_func=_address_key, methods=["POST"],
               deduct_when=_failed)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("core.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            authenticate(form.username.data, form.password.data)
            return redirect(_safe_next(request.args.get("next")))
        except LoginFailed as failure:
            error = str(failure)
    status = 401 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    sign_out(current_user._get_current_object())
    flash(_("You have signed out."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            change_password(current_user._get_current_object(), form.current.data, form.new.data)
            flash(_("Your password has been changed."), "success")
            if wants_fragment():
                # the session (and its CSRF token) is new: the whole page must load again
                return "", 204, {"HX-Redirect": url_for("core.home")}
            return redirect(url_for("core.home"))
        except LoginFailed as failure:
            error = str(failure)
    status = 422 if request.method == "POST" else 200
    return render_page_or_block("accounts/password.html", "form", form=form, error=error,
                                password_rules=passwords.rules_text()), status
