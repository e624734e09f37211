"""The console's answers to the hotline, from the work order panel of a case's page
(hotline/panels.py): 签收, 退回, 延期申请, and the audited reveal of the caller.

Scoped like the case page (a case outside the user's area is a 404); the answer's policy is the
service's (403), a work order that moved past it is a 409, bad input a 400 beside its field; each
refusal shows the case page again with the reason.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.generic import DetailView

from cases.console_views import NOT_NOW_MESSAGE, STALE_MESSAGE, ConsoleMixin, case_page
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case
from grid.limits import LimitReached
from hotline import policies, services
from hotline.models import WorkOrder
from hotline.panels import ANSWERS, reveal_form


class WorkOrderCaseView(ConsoleMixin, DetailView):
    """A step on the work order of a case the user may see; GET goes back to the case."""

    model = Case
    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect("console-case", pk=self.get_object().pk)

    def work_order(self) -> WorkOrder:
        case = self.get_object()
        work_order = WorkOrder.objects.filter(case=case).first()
        if work_order is None:
            raise Http404(_("This case did not come from the hotline."))
        work_order.case = Case.objects.select_related("grid").get(pk=case.pk)
        return work_order


class AnswerView(WorkOrderCaseView):
    """POST /console/hotline/<case>/<sign|return|extension>/."""

    def post(self, request, pk: int, action: str):
        answer = ANSWERS.get(action)
        if answer is None:
            raise Http404(_("No such step."))
        work_order = self.work_order()
        form = answer.form(request.POST, auto_id=f"hotline-{action}-%s")
        if not policies.can_answer(request.user, work_order.case):
            # The policy before the input, as every step of the console.
            alert = _("Only the district's dispatchers answer the hotline.")
            return case_page(request, work_order.case_id, status=403, alert=alert)
        status, alert = 400, ""
        if form.is_valid():
            try:
                answer.service(work_order, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                status, alert = 403, str(exc)
            except services.NotNow as exc:
                status, alert = 409, str(exc)
            except InvalidTransition:
                status, alert = 409, str(NOT_NOW_MESSAGE)
            except ConcurrentCaseUpdate:
                status, alert = 409, str(STALE_MESSAGE)
            else:
                sent = _("Sent to the hotline: %(step)s.") % {"step": answer.label}
                messages.success(request, sent)
                return redirect("console-case", pk=work_order.case_id)
        request.hotline_bound = (action, form)
        return case_page(request, work_order.case_id, status=status, alert=alert)


class RevealCallerView(WorkOrderCaseView):
    """POST /console/hotline/<case>/reveal/: the caller's name and phone in full, once, with a
    purpose; audited. The answer is never cached."""

    def post(self, request, pk: int):
        work_order = self.work_order()
        form = reveal_form(request.POST)
        status, alert = 400, ""
        if form.is_valid():
            try:
                request.hotline_revealed = services.reveal_caller(
                    work_order, actor=request.user, **form.cleaned_data
                )
                status = 200
            except ValidationError as exc:
                form.add_error(None, exc)
            except PermissionDenied as exc:
                status, alert = 403, str(exc)
            except LimitReached as exc:
                status, alert, retry_after = 429, str(exc), exc.retry_after
        request.hotline_reveal_form = form
        response = case_page(request, work_order.case_id, status=status, alert=alert)
        add_never_cache_headers(response)
        if status == 429:
            response["Retry-After"] = str(retry_after)
        return response
