"""The work order panel on a hotline case's page in the console (grid/extensions.py CASE_PAGE):
the number, the hotline's deadline and return window, the caller masked (revealed after an
audited request), the answers sent back so far, and the district dispatcher's answers."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.models import Case
from governance.forms import bootstrap_classes
from grid import extensions
from grid import policies as grid_policies
from grid.registry_views import RevealForm
from hotline import policies, services
from hotline.forms import ExtensionForm, ReturnForm, SignForm
from hotline.models import WorkOrder


@dataclass(frozen=True)
class Answer:
    form: type
    service: object
    label: object
    style: str = "primary"


ANSWERS = {
    "sign": Answer(SignForm, services.sign_work_order, gettext_lazy("Sign for (签收)")),
    "return": Answer(
        ReturnForm, services.return_work_order, gettext_lazy("Return (退回)"), "danger"
    ),
    "extension": Answer(
        ExtensionForm,
        services.request_extension,
        gettext_lazy("Ask for more time (延期申请)"),
        "secondary",
    ),
}
RETURNABLE = (Case.Status.REPORTED, Case.Status.IN_PROGRESS)


def offered(work_order: WorkOrder, case: Case, now) -> list[str]:
    """The answers the work order allows as it stands (to whoever the policy allows)."""
    if work_order.returned_at is not None or not case.is_open:
        return []
    actions = [] if work_order.signed_at else ["sign"]
    if work_order.return_by and now <= work_order.return_by and case.status in RETURNABLE:
        actions.append("return")
    return [*actions, "extension"]


def case_panel(request, area, *, case, **extra) -> dict | None:
    if not case.hotline_number:
        return None  # no query for the cases that did not come from the hotline
    work_order = WorkOrder.objects.filter(case=case).first()
    if work_order is None:
        return None
    work_order.case = case
    user = request.user
    bound = getattr(request, "hotline_bound", None)  # a refused answer, with its messages
    answers = []
    if policies.can_answer(user, case):
        for action in offered(work_order, case, timezone.now()):
            answer = ANSWERS[action]
            form = answer.form(auto_id=f"hotline-{action}-%s")
            if bound and bound[0] == action:
                form = bound[1]
            answers.append((action, answer, form))
    revealed = getattr(request, "hotline_revealed", None)
    can_reveal = grid_policies.can_reveal_personal_data(user, case.grid)
    return {
        "work_order": work_order,
        "case": case,
        "caller": revealed or services.masked_caller(work_order),
        "revealed": revealed is not None,
        "can_reveal": can_reveal and bool(work_order.caller_name or work_order.caller_phone),
        "reveal_form": getattr(request, "hotline_reveal_form", None) or reveal_form(),
        "answers": answers,
        "open_action": bound[0] if bound else None,
        "replies": list(work_order.replies.select_related("by").order_by("at", "id")),
        "deadline_changes": list(work_order.deadline_changes.order_by("at", "id")),
    }


def reveal_form(data=None) -> RevealForm:
    """The registry's form for why the full details are needed, styled for the console."""
    form = RevealForm(data, auto_id="hotline-reveal-%s")
    bootstrap_classes(form.fields.values())
    return form


def register() -> None:
    extensions.register_panel(
        extensions.CASE_PAGE, "hotline", "hotline/_case_panel.html", case_panel
    )
