"""The training history export page: choose whose history, the format and the columns."""
import io

from flask import request, send_file
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ...accounts.models import Unit, User
from ...extensions import db
from ...htmx import render_page_or_block
from ...i18n import gettext as _
from ...spreadsheet import XLSX_MIME
from ...workflow import Refused
from ..forms import HistoryExportForm
from ..services import history as history_service
from .common import actor, bp


def _form() -> HistoryExportForm:
    user = actor()
    form = HistoryExportForm()
    if history_service.sees_all_staff(user):  # those who left too: SIASN and their next office ask for them
        people = list(db.session.scalars(select(User).order_by(User.active.desc(), User.full_name)))
        units = list(db.session.scalars(select(Unit).order_by(Unit.name)))
    elif history_service.is_unit_supervisor(user, user.unit_id):
        people = list(db.session.scalars(select(User).where(User.unit_id == user.unit_id, User.active.is_(True))
                                         .order_by(User.full_name)))
        units = [user.unit]
    else:
        people, units = [user], []
    form.user_id.choices = [SelectChoice(0, _("(the whole unit chosen below)"))] if units else []
    left = _("has left")
    form.user_id.choices += [SelectChoice(p.id, f"{p.full_name}{' (' + p.nip + ')' if p.nip else ''}"
                                                f"{'' if p.active else f' · {left}'}") for p in people]
    form.unit_id.choices = [SelectChoice(0, _("(none)"))] + (
        [SelectChoice(history_service.WHOLE_OFFICE, _("The whole office"))]
        if history_service.sees_all_staff(user) else []) + [
        SelectChoice(u.id, u.name) for u in units]
    form.preset.choices = [SelectChoice(k, str(v)) for k, v in history_service.PRESET_LABELS.items()] + [
        SelectChoice("custom", _("My own choice and order (below)"))]
    form.year.choices = [SelectChoice(0, _("Every year"))] + [
        SelectChoice(y, str(y)) for y in history_service.credited_years()]
    if request.method == "GET":
        form.user_id.data = user.id
    return form


def _custom_columns() -> tuple[list[str], str | None]:
    """The columns given a place (1, 2, ...) in the form, in that order."""
    placed = []
    for key in history_service.COLUMNS:
        raw = (request.form.get(f"order_{key}") or "").strip()
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 99:
            return [], _("Give each chosen column a place from 1 to 99.")
        placed.append((int(raw), key))
    places = [p for p, _key in placed]
    if len(set(places)) != len(places):
        return [], _("Two columns have the same place; give each its own number.")
    return [key for _p, key in sorted(placed)], None


def _not_offered(form) -> dict | None:
    """The person or unit posted when the form does not offer it, as export() arguments."""
    for name, key in (("user_id", "person_id"), ("unit_id", "unit_id")):
        raw = request.form.get(name, "")
        offered = {str(c.value) for c in getattr(form, name).choices}
        number = raw.removeprefix("-")
        if number.isascii() and number.isdigit() and len(raw) <= 9 and int(raw) and raw not in offered:
            return {key: int(raw)}
    return None


@bp.route("/history/", methods=["GET", "POST"])
def history():
    form = _form()
    error, status = None, 200
    if request.method == "POST":
        outsider = _not_offered(form)
        if outsider is not None:  # someone the reader may not export: the service refuses it (403, audited)
            try:
                data, name = history_service.export(actor(), "csv", ["name"], **outsider)
            except Refused as refusal:
                error, status = str(refusal.message), refusal.status
            else:  # the rule lets him (one the list leaves out, say a leaver): what was recorded is delivered
                return send_file(io.BytesIO(data), download_name=name, as_attachment=True, mimetype="text/csv")
        elif not form.validate_on_submit():
            status = 422
        else:
            if form.preset.data == "custom":
                columns, error = _custom_columns()
            else:
                columns = list(history_service.PRESETS[form.preset.data])
            if error is None:
                # a unit (or the whole office) chosen wins over the person the form starts on (the reader):
                # the year-end export for SIASN came out as HR's own, empty history
                unit = form.unit_id.data or None
                person = None if unit else (form.user_id.data or None)
                try:
                    data, name = history_service.export(actor(), form.fmt.data, columns, person_id=person,
                                                        unit_id=unit, year=form.year.data or None)
                except Refused as refusal:
                    error, status = str(refusal.message), refusal.status
                else:
                    mime = XLSX_MIME if form.fmt.data == "xlsx" else "text/csv"  # (werkzeug adds the charset)
                    return send_file(io.BytesIO(data), download_name=name, as_attachment=True, mimetype=mime)
            else:
                status = 422
    return render_page_or_block("training/history.html", "training", form=form, error=error,
                                columns=history_service.COLUMNS, presets=history_service.PRESETS), status
