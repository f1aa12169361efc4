"""The user's own notifications, and the unread counter in the navigation bar."""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from ..core.paging import keyset_page
from ..core.urls import int_arg, is_local_url
from ..database import utcnow
from ..extensions import db
from ..htmx import render_page_or_block, trigger
from .models import Notification
from .service import unread_count

bp = Blueprint("notify", __name__, url_prefix="/notifications")
PAGE = 30


@bp.get("/")
@login_required
def index():
    page = keyset_page(select(Notification).where(Notification.user_id == current_user.id), Notification.id,
                       int_arg("before"), size=PAGE, descending=True)
    return render_template("notify/index.html", rows=page.rows, next_before=page.next_key)


@bp.get("/count")
@login_required
def count():
    return render_page_or_block("notify/_count.html", "count", unread=unread_count(current_user))


@bp.post("/<int:note_id>/open")
@login_required
def open_one(note_id):
    note = db.get_or_404(Notification, note_id)
    if note.user_id != current_user.id:
        abort(404)
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return redirect(note.url if is_local_url(note.url) else url_for("notify.index"))


@bp.post("/read-all")
@login_required
def read_all():
    db.session.execute(update(Notification).where(Notification.user_id == current_user.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return trigger(redirect(url_for("notify.index")), "notifications-changed")
