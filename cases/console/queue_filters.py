"""The console lists' active filters. On the case queue (/console/cases/) each filter the
query string applies is a removable chip ("已筛选：截止时间：今日到期 ×"), and the filters the
queue's form has no field for (the workbench's due=, urged=, level=, holder_within=, …) are
hidden inputs of that form, so a filter that came from a workbench tile
(cases/console/workbench.py) stays visible and survives re-filtering. The department inbox
(/console/dispatches/) names the state it shows.

The chips read the filterset's form after validation: the labels of areas, departments and
categories come from the rows the form already looked up, so chips cost no query.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.http import QueryDict
from django.utils import timezone

from cases.console.queues import DispatchState
from cases.forms import category_label
from cases.models import Category

# The fields templates/console/queue.html shows in its filter form; every other filter of
# QueueFilterSet rides along as a hidden input.
FORM_FIELDS = frozenset(
    {"q", "category", "urgency", "overdue", "within", "reported_from", "reported_to", "sort"}
    | {"status"}
)
# Not filters: the order of the rows and the page.
NOT_FILTERS = frozenset({"sort", "view", "after", "page"})


@dataclass(frozen=True)
class Chip:
    name: str
    value: str  # as the query string has it
    label: str  # the filter's label
    shown: str  # the value as a reader knows it
    remove_query: str  # the query string without this one value


def _choice_labels(field) -> dict[str, str]:
    labels = {}
    for choices in (getattr(field, "choices", None), getattr(field.widget, "choices", None)):
        for value, label in choices or ():
            if isinstance(label, list | tuple):  # a group of choices
                continue
            # A subclass is indented in its select; not on its own chip.
            labels.setdefault(str(value), str(label).strip("\u3000"))
    return labels


def _shown(field, raw: str, cleaned) -> str:
    """The value `raw` of a filter as its chip shows it."""
    labels = _choice_labels(field)
    if raw in labels:
        return labels[raw]
    if isinstance(cleaned, Category):
        return category_label(cleaned)
    if isinstance(cleaned, datetime):
        return timezone.localtime(cleaned).strftime("%Y-%m-%d %H:%M")
    if isinstance(cleaned, date):
        return cleaned.isoformat()
    name = getattr(cleaned, "name", None)  # an area, a department
    return str(name) if name else raw


def _without(query: QueryDict, name: str, value: str) -> str:
    query = query.copy()
    query.setlist(name, [v for v in query.getlist(name) if v != value])
    for key in ("after", "page"):
        query.pop(key, None)
    return query.urlencode()


def active_filters(filterset, query: QueryDict) -> list[Chip]:
    """A chip for each value of each filter the query string sets, in the filterset's order
    (a filter given several values, such as status, a chip per value)."""
    form = filterset.form
    cleaned = getattr(form, "cleaned_data", {})
    chips = []
    for name in filterset.filters:
        if name in NOT_FILTERS or name not in form.fields:
            continue
        field = form.fields[name]
        for raw in query.getlist(name):
            if raw == "":
                continue
            chips.append(
                Chip(
                    name=name,
                    value=raw,
                    label=str(field.label or name),
                    shown=_shown(field, raw, cleaned.get(name)),
                    remove_query=_without(query, name, raw),
                )
            )
    return chips


def hidden_filters(filterset, query: QueryDict) -> list[tuple[str, str]]:
    """(name, value) of each filter value set that the queue's form has no field for."""
    return [
        (name, raw)
        for name in filterset.filters
        if name not in FORM_FIELDS and name not in NOT_FILTERS
        for raw in query.getlist(name)
        if raw != ""
    ]


def dispatch_state_shown(query: QueryDict) -> dict | None:
    """The department inbox's ?state= (the workbench's links) as its page names it: the state's
    label and the query string of the inbox without it; None when no known state is asked."""
    state = query.get("state", "")
    if state not in DispatchState.CHOICES:
        return None
    return {
        "value": state,
        "label": str(DispatchState.CHOICES[state]),
        "all_query": _without(query, "state", state),
    }
