"""Community services' tables for the dashboards, the monthly report and their downloads, from
community/metrics.py, in the shape of the cases' tables (cases/reports.Table)."""

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cases.reports import Table
from community import metrics
from grid.models import Area


def _pct(value):
    return None if value is None else value


def _row(figures: metrics.Figures, name: str) -> dict:
    return {
        "name": name,
        "received": figures.received,
        "done": figures.done,
        "on_time_rate": _pct(figures.on_time_rate),
        "average_days": figures.average_days,
        "satisfaction": figures.satisfaction,
        "open": figures.open,
        "overdue_open": figures.overdue_open,
        "visits_done": figures.visits_done,
        "visits_due": figures.visits_due,
        "coverage": _pct(figures.coverage),
        "overdue_visits": figures.overdue_visits,
    }


def columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Area")),
        ("received", _("Requests received")),
        ("done", pgettext("service request", "Done")),
        ("on_time_rate", _("Done on time (%)")),
        ("average_days", _("Average days")),
        ("satisfaction", _("Satisfaction (1–5)")),
        ("open", _("Open")),
        ("overdue_open", _("Open and overdue")),
        ("visits_done", _("Visits done")),
        ("visits_due", _("Visits due")),
        ("coverage", _("Visit coverage (%)")),
        ("overdue_visits", _("People overdue a visit")),
    ]


def community_table(unit: Area, start: date, end: date) -> tuple[Table, metrics.Figures]:
    """One row per area one level down and a total row; and the unit's figures."""
    total, per_child = metrics.figures(unit, start, end)
    rows = [_row(f, f.area.name) for f in per_child]
    rows.append({**_row(total, _("Total")), "is_total": True})
    table = Table(
        title=_("Community services"),
        columns=columns(),
        rows=rows,
        meta={"unit": unit.pk, "start": start.isoformat(), "end": end.isoformat()},
    )
    return table, total


def services_table(total: metrics.Figures, limit: int = 10) -> Table:
    return Table(
        title=_("Most requested services"),
        columns=[("service", _("Service")), ("requests", _("Requests"))],
        rows=[{"service": name, "requests": n} for name, n in metrics.top_services(total, limit)],
    )


def panel(request, unit, *, period=None, month=None) -> dict | None:
    """The community-services panel of the dashboard (its period) and of the monthly report
    (its month), registered in community/apps.py through grid/extensions.py."""
    if unit is None:
        return None
    span = period or month
    start, end = span.start, span.end
    table, total = community_table(unit, start, end)
    return {
        "community_table": table,
        "community_total": total,
        "community_services": services_table(total, 5),
        "community_query": f"unit={unit.pk}&start={start.isoformat()}&end={end.isoformat()}",
    }
