"""Withdrawing a JP credit given in error (a certificate found forged, one training counted twice): the
`withdraw_credit` step's guard, caution and effect. The log keeps the credit and its withdrawal, so
training/reconcile.py finds the row as the log left it."""
from ...i18n import gettext as _
from ...timeutil import today_wib


def credit_of_a_report(enrolment, _actor):
    if enrolment.course.internal:
        return _("The office signed this certificate: its JP rest on it. Replace the certificate with a corrected "
                 "one in the register instead.")
    return None


credit_of_a_report.structural = True


def credited_last_year(enrolment):
    if enrolment.credited_year and enrolment.credited_year < today_wib().year:
        return _("These JP count in %(year)s: that year's figures and reports change, and what was sent to SIASN "
                 "is corrected there by hand.", year=enrolment.credited_year)
    return None


def withdraw_credit(enrolment, ctx):
    ctx.change("jp_credited", enrolment.jp_credited, 0)  # the log's last credit is 0 (training/reconcile.py)
    enrolment.jp_credited = 0
