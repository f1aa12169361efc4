"""/reports/: the service dashboard, the competence dashboard and the monthly report (page, XLSX, PDF),
each with its tables as CSV. For the Camat, the Sekcam, the section heads and HR; a refusal is audited, and so
is every download of a table naming people (PERSONAL_TABLES); the others hold figures only."""
from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..audit import record as audit
from ..audit import vocabulary
from ..core.registry import home_card, nav_item
from ..documents.models import KELURAHAN, DocumentType
from ..documents.services import can_view as can_view_requests
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..spreadsheet import XLSX_MIME
from . import charts, exports, facts  # noqa: F401  (facts: connects the receiver that keeps the table)
from . import demo as _demo  # noqa: F401  (registers the demo history seeder)
from .competence import competence_dashboard
from .filters import FilterError, last_complete_month, parse_month, parse_service_filters, parse_year, this_month
from .panels import panels_for
from .service import AGE_BUCKETS, OVERDUE_BOUND, hours, month_card, service_dashboard

bp = Blueprint("reports", __name__, url_prefix="/reports", static_folder="static", static_url_path="/static")
VIEWERS = ("camat", "sekcam", "section_head", "hr")

nav_item("reports.layanan", _l("Reports"), roles=VIEWERS, order=70)

# the tables of a report that name people (name, NIP, what they lack): each download of one is recorded, with
# the table and the filters it was made with, as the training history's export is; every other table holds
# figures of many (a unit of few people is hidden: competence.shown_units) and is not
PERSONAL_TABLES = {
    "kompetensi": {"belum-jp": _l("ASN who have not reached the yearly JP (name, NIP, JP still needed)"),
                   "jp-asn": _l("JP of every ASN (name, NIP, JP so far)")},
}

vocabulary.describe_actions({"report.view": _l("opened a report"),
                             "report.export": _l("downloaded a report's table of named people")})
vocabulary.describe_kind("report", _l("Reports"))
vocabulary.describe_data_access("report.export")
vocabulary.describe_fields({"table": _l("Table"), "kelurahan": _l("Kelurahan"), "month": _l("Month"),
                            "type": _l("Document type")}, subject_type="report")
vocabulary.describe_values("table", {table: label for tables in PERSONAL_TABLES.values()
                                     for table, label in tables.items()}, subject_type="report")


@home_card(roles=VIEWERS, order=60)
def _service_card(user):
    """This month's share of the requests made ready within the service standard, and those overdue now, in
    one statement. A section head has the overdue requests on a card of their own (documents), so this
    one does not say them again."""
    ready, within, overdue = month_card(this_month())
    if user.has_role("section_head"):
        overdue = 0
    if not ready and not overdue:
        return None
    shown = f"{OVERDUE_BOUND - 1}+" if overdue >= OVERDUE_BOUND else overdue
    share = round(100 * within / ready) if ready else None
    parts = [_("%(within)s of %(ready)s requests made ready this month", within=within, ready=ready) if ready
             else _("none made ready yet this month")]
    if overdue:
        parts.append(_("%(n)s open requests are overdue now", n=shown))
    # the overdue ones are the ones to act on: the card leads to them, for who may open the queue
    to_late = bool(overdue) and can_view_requests(user)
    return {"title": _l("Within the service standard this month"), "value": f"{share} %" if ready else "–",
            "text": "; ".join(parts) + ".",
            "url": url_for("documents.index", state="open", flag="overdue") if to_late else url_for("reports.layanan"),
            "link": _l("See overdue requests") if to_late else _l("Service dashboard"),
            "tone": "success" if ready and share >= 80 and not overdue else "warning"}


@bp.before_request
@login_required
def _only_viewers():
    if request.endpoint != "reports.static" and not current_user.has_role(*VIEWERS):
        audit.record_alone("report.view", actor=current_user, outcome="refused", subject_type="report",
                           subject_id=(request.endpoint or "").rpartition(".")[2][:40],
                           comment=_("Reports are for the Camat, the Sekcam, the section heads and HR."))
        abort(403)


@bp.app_template_global()
def report_hours(minutes):
    return hours(minutes)


@bp.app_template_global()
def report_percent(value):
    return exports.percent_text(value)


def _table_format() -> str:
    return "xlsx" if request.path.endswith(".xlsx") else "csv"


def _table_file(report: str, table: str, name: str, headers, rows, filters: dict):
    """One table of a report as the file its address asks for: `.xlsx` for Excel, else CSV. A table naming
    people is recorded as downloaded, with the filters it was made with, in the same request."""
    fmt = _table_format()
    if fmt == "xlsx":
        response = _file(exports.table_xlsx(name, headers, rows), XLSX_MIME, f"{name}.xlsx")
    else:
        response = _file(exports.csv_bytes(headers, rows), "text/csv; charset=utf-8", f"{name}.csv")
    if table in PERSONAL_TABLES.get(report, {}):
        _audit_export(report, {"table": table, "format": fmt, "rows": len(rows), **filters})
    return response


def _audit_export(report: str, details: dict) -> None:
    """The trace of a download, committed before the file leaves (as training's `audit_export`)."""
    audit.record("report.export", actor=current_user, subject_type="report", subject_id=report,
                 changes={key: [None, value] for key, value in details.items() if value not in (None, "")})
    db.session.commit()


def _file(data: bytes, mime: str, filename: str, inline: bool = False):
    response = make_response(data)
    response.headers["Content-Type"] = mime
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- service dashboard ---------------------------------------------------------------------------

def _service_tables(board, page: bool = True) -> dict:
    """Every table of the service page as (headers, rows); the page and its CSV downloads share them. On the
    page a month still running reads as provisional; a file keeps the plain month a spreadsheet sorts."""
    current = this_month()
    # a file's month is "2026-08", which a spreadsheet sorts and reads as a date
    month_labels = ([charts.month_label(m) + (" " + _("(so far)") if m == current else "") for m in board.months]
                    if page else list(board.months))
    time_rows, standard_rows, volume_rows = [], [], []
    for month, label in zip(board.months, month_labels, strict=True):
        f = board.by_month[month].figures()
        time_rows.append([label, f["ready"], hours(f["service_median"]), hours(f["service_p90"]),
                          hours(f["pickup_median"])])
        standard_rows.append([label, f["ready"], f["within"], exports.percent_text(f["within_percent"])])
        volume_rows.append([label, f["received"], f["handed_over"]])
    times = ([_("Month"), _("Ready"), _("Service time median"), _("Service time p90"), _("Pick-up delay median")],
             time_rows)
    standard = ([_("Month"), _("Ready"), _("Within the service standard"), _("Share")], standard_rows)
    volume = ([_("Month"), _("Received"), _("Handed over")], volume_rows)
    type_rows = []
    for doc_type in board.types:
        stats = board.by_type.get(doc_type.id)
        if stats is None:
            continue
        f = stats.figures()
        type_rows.append([doc_type.name, f["received"], f["handed_over"], hours(f["service_median"]),
                          hours(f["service_p90"]), exports.percent_text(f["within_percent"]),
                          f["returned_count"], hours(f["returned_median"]), hours(f["returned_p90"]),
                          hours(f["pickup_median"]), hours(f["pickup_p90"])])
    by_type = ([_("Document type"), _("Received"), _("Handed over"), _("Service time median"),
                _("Service time p90"), _("Within the service standard"), _("Finished after a return to the citizen"),
                _("Time with the citizen, median"), _("Time with the citizen, p90"), _("Pick-up delay median"),
                _("Pick-up delay p90")], type_rows)
    month_rows = []
    for doc_type in board.types:
        if doc_type.id not in board.by_type:
            continue
        for month, label in zip(board.months, month_labels, strict=True):
            stats = board.by_type_month.get((doc_type.id, month))
            if stats is None:
                continue
            f = stats.figures()
            month_rows.append([doc_type.name, label, f["received"], f["handed_over"], hours(f["service_median"]),
                               hours(f["service_p90"]), exports.percent_text(f["within_percent"]),
                               hours(f["pickup_median"]), hours(f["pickup_p90"])])
    type_month = ([_("Document type"), _("Month"), _("Received"), _("Handed over"), _("Service time median"),
                   _("Service time p90"), _("Within the service standard"), _("Pick-up delay median"),
                   _("Pick-up delay p90")], month_rows)
    kelurahan = ([_("Kelurahan"), _("Received"), _("Handed over"), _("Service time median"),
                  _("Within the service standard"), _("Open now"), _("Overdue now")], exports.kelurahan_rows(board))
    ages = ([_("Age (calendar days)"), _("Open now")],
            [[label, board.backlog["ages"][label]] for _lo, _hi, label in AGE_BUCKETS])
    names = {t.id: t.name for t in board.types}
    backlog = ([_("Document type"), _("Open now"), _("Overdue now")],
               [[names.get(t, "?"), c["open"], c["overdue"]] for t, c in sorted(board.backlog["by_type"].items())])
    tables = {"waktu": times, "standar": standard, "volume": volume, "jenis": by_type, "jenis-bulan": type_month,
              "kelurahan": kelurahan,
              "umur": ages, "tunggakan": backlog}
    if board.split is not None:
        split_rows = []
        for key, label in ((None, _("All types")), *((t.id, t.name) for t in board.types)):
            before, after = board.split["before"].get(key), board.split["after"].get(key)
            if before is None and after is None:
                continue
            b = before.figures() if before else {}
            a = after.figures() if after else {}
            split_rows.append([label, b.get("ready", 0), hours(b.get("service_median")),
                               hours(b.get("service_p90")), exports.percent_text(b.get("within_percent")),
                               a.get("ready", 0), hours(a.get("service_median")), hours(a.get("service_p90")),
                               exports.percent_text(a.get("within_percent"))])
        tables["sebelum-sesudah"] = (
            [_("Document type"), _("Ready before"), _("Median before"), _("p90 before"), _("Within standard before"),
             _("Ready after"), _("Median after"), _("p90 after"), _("Within standard after")], split_rows)
    return tables


def _service_charts(board) -> dict:
    labels = charts.axis_labels(board.months)
    stats = [board.by_month[m] for m in board.months]
    to_hours = [None if s.service_median is None else s.service_median / 60 for s in stats]
    p90 = [None if s.service_p90 is None else s.service_p90 / 60 for s in stats]
    return {
        "service": charts.line_chart(labels, [("series-a", to_hours), ("series-b", p90)]),
        "within": charts.bar_chart(labels, [s.within_percent for s in stats], top=100),
        "volume": charts.bar_chart(labels, [s.received for s in stats]),
        "pickup": charts.bar_chart(labels, [None if s.pickup_median is None else s.pickup_median / 60
                                            for s in stats]),
        "ages": charts.bar_chart([label for _lo, _hi, label in AGE_BUCKETS],
                                 [board.backlog["ages"][label] for _lo, _hi, label in AGE_BUCKETS]),
    }


def _types():
    return db.session.execute(db.select(DocumentType.id, DocumentType.name)
                              .order_by(DocumentType.position, DocumentType.id)).all()


def _service_board(types):
    filters = parse_service_filters(request.args, {t.id for t in types})
    return service_dashboard(filters)


@bp.get("/")
def index():
    """/reports/ typed in: the reports' first page (the navigation's link)."""
    return redirect(url_for(".layanan"))


@bp.get("/layanan")
def layanan():
    types = _types()
    try:
        board = _service_board(types)
    except FilterError as error:
        return render_template("reports/layanan.html", error=str(error), board=None, types=types,
                               kelurahan=KELURAHAN, args=request.args), 422
    return render_template("reports/layanan.html", error=None, board=board, types=types, kelurahan=KELURAHAN,
                           tables=_service_tables(board), charts=_service_charts(board), args=request.args,
                           panels=panels_for(board.filters, current_user),
                           running=board.months[-1] == this_month() if board.months else False,
                           queue_link=can_view_requests(current_user))  # the figures lead to the requests


@bp.get("/layanan.csv")
@bp.get("/layanan.xlsx", endpoint="layanan_xlsx")
def layanan_csv():
    try:
        board = _service_board(_types())
    except FilterError as error:
        abort(422, description=str(error))
    tables = _service_tables(board, page=False)
    name = request.args.get("tabel", "waktu")
    if name not in tables:
        abort(404)
    # the file says what it holds: a kelurahan's or a type's figures are not named as the whole office's
    type_code = _type_code(board.filters.type_id)
    scope = "".join(f"-{part}" for part in (board.filters.kelurahan, type_code) if part)
    return _table_file("layanan", name, f"layanan-{name}-{board.filters.end_month}{scope}".replace(" ", "-").lower(),
                       *tables[name], {"month": board.filters.end_month, "kelurahan": board.filters.kelurahan,
                                       "type": type_code})


def _type_code(type_id: int | None) -> str:
    return db.session.scalar(db.select(DocumentType.code).where(DocumentType.id == type_id)) or "" if type_id else ""


# ---- competence dashboard ------------------------------------------------------------------------

def _sees_everyone() -> bool:
    """Whether the reader sees every ASN's training one by one (HR, the Camat, the Sekcam): the export's rule."""
    from ..training.services.history import may_export
    return may_export(current_user)


def _competence():
    year = parse_year(request.args.get("tahun"))
    current = this_month()
    # next year's trend has no month yet: its plans and the courses on the way are what it shows
    through = int(current[5:7]) if year == int(current[:4]) else 0 if year > int(current[:4]) else 12
    return competence_dashboard(year, through, viewer=current_user, sees_everyone=_sees_everyone())


def _competence_tables(data) -> dict:
    units = (exports.unit_headers(data["target"]),
             [exports.unit_cells(r) for r in [*data["units"], data["office"]]])
    units[1][-1][0] = _("Whole office")
    trend = ([_("Month"), _("ASN at least %(n)s JP", n=data["target"]), _("Share")],
             [[charts.month_label(f"{data['year']}-{t['month']:02d}"), t["reached"], exports.percent_text(t["percent"])]
              for t in data["trend"]])
    kinds = ([_("Kind"), _("JP")], [[label, jp] for _code, label, jp in data["by_kind"]])
    methods = ([_("Method"), _("JP")], [[label, jp] for _code, label, jp in data["by_method"] if jp])
    below = ([_("Name"), _("NIP"), _("Position"), _("Unit"), _("JP so far"), _("JP still needed"),
              _("JP on the way in the year (requested, approved, under way or awaiting verification; "
                "not yet credited)")],
             [[p["name"], p["nip"] or "", p["position"], p["unit"], p["jp"], p["short"], p["coming"]]
              for p in data["below_target"]])
    everyone = ([_("Name"), _("NIP"), _("Position"), _("Unit"), _("JP so far"), _("JP still needed")],
                [[p["name"], p["nip"] or "", p["position"], p["unit"], p["jp"], p["short"]]
                 for p in data["everyone_jp"]])
    return {"unit": units, "bulan": trend, "jenis": kinds, "metode": methods, "belum-jp": below,
            "jp-asn": everyone}


def _competence_charts(data) -> dict:
    rows = data["units"]
    return {
        "units": charts.hbar_chart([r.name for r in rows], [None if r.hidden else r.reached_percent for r in rows]),
        "trend": charts.bar_chart(charts.axis_labels([f"{data['year']}-{t['month']:02d}" for t in data["trend"]]),
                                  [t["percent"] for t in data["trend"]], top=100),
        "kinds": charts.bar_chart([label for _c, label, _jp in data["by_kind"]], [jp for *_x, jp in data["by_kind"]]),
    }


def _sees_no_jp_list() -> bool:
    from ..accounts.models import User
    if _sees_everyone():
        return True
    return db.session.scalar(db.select(User.id).where(User.supervisor_id == current_user.id).limit(1)) is not None


@bp.get("/kompetensi")
def kompetensi():
    try:
        data = _competence()
    except FilterError as error:
        return render_template("reports/kompetensi.html", error=str(error), data=None, args=request.args), 422
    return render_template("reports/kompetensi.html", error=None, data=data, tables=_competence_tables(data),
                           charts=_competence_charts(data), args=request.args, show_no_jp=_sees_no_jp_list(),
                           sees_everyone=_sees_everyone())


@bp.get("/kompetensi.csv")
@bp.get("/kompetensi.xlsx", endpoint="kompetensi_xlsx")
def kompetensi_csv():
    try:
        data = _competence()
    except FilterError as error:
        abort(422, description=str(error))
    tables = _competence_tables(data)
    name = request.args.get("tabel", "unit")
    if name not in tables:
        abort(404)
    if name in ("belum-jp", "jp-asn") and not _sees_no_jp_list():  # not offered: refused as if not there
        audit.refused("report.export", reason="[role] " + _(
            "The list of who has not reached the JP is for HR, the Camat and the Sekcam, and for supervisors of "
            "the people they supervise."),
                      actor=current_user, subject_type="report", subject_id="kompetensi",
                      changes={"table": [None, name], "format": [None, _table_format()]})
        abort(404)
    return _table_file("kompetensi", name, f"kompetensi-{name}-{data['year']}", *tables[name], {"year": data["year"]})


# ---- monthly report ------------------------------------------------------------------------------

def _report():
    return exports.monthly_report(parse_month(request.args.get("bulan"), last_complete_month()), current_user)


@bp.get("/bulanan")
def bulanan():
    try:
        report = _report()
    except FilterError as error:
        return render_template("reports/bulanan.html", error=str(error), report=None, args=request.args), 422
    return render_template("reports/bulanan.html", error=None, report=report, tables=exports.monthly_tables(report),
                           args=request.args)


@bp.get("/bulanan.xlsx")
def bulanan_xlsx():
    try:
        report = _report()
    except FilterError as error:
        abort(422, description=str(error))
    return _file(exports.xlsx_bytes(report), XLSX_MIME,
                 f"laporan-bulanan-{report['month']}.xlsx")


@bp.get("/bulanan.pdf")
def bulanan_pdf():
    try:
        report = _report()
    except FilterError as error:
        abort(422, description=str(error))
    return _file(exports.pdf_bytes(report), "application/pdf", f"laporan-bulanan-{report['month']}.pdf", inline=True)
