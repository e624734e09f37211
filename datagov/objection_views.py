"""Pages of the objections (数据异议): the list (/datagov/objections/), raising one from a registry
record's page (a POST from its panel), and one objection's page, where the staff of the
record's community correct the record or reject the objection.

Thin: the forms parse, datagov/objections.py decides and writes. Every objection is looked up
in the user's jurisdiction (out of scope is 404); a user who sees an objection but may not
resolve it gets a 403 for a resolution, and a resolution of a closed objection is a 409.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView
from django_filters.views import FilterView

from datagov import objections
from datagov.models import Objection
from datagov.objection_forms import CorrectionForm, ObjectionFilterSet, RaiseForm, RejectForm
from governance.forms import bootstrap_classes
from grid import registry
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import House, Household, Person
from grid.registry_views import decorate, person_fields


def record_url(record) -> str:
    """The registry page of a record (a house's is its building's)."""
    if isinstance(record, Person):
        return reverse("registry-person", args=[record.pk])
    if isinstance(record, Household):
        return reverse("registry-household", args=[record.pk])
    if isinstance(record, House):
        return reverse("registry-building", args=[record.building_id])
    return reverse("registry-building", args=[record.pk])


def record_values(record) -> list[tuple[str, str]]:
    """(label, value) of what the registry holds of the record now; a person's ID number and
    phones masked."""
    if isinstance(record, Person):
        person = decorate(record)
        return person_fields(person, registry.masked(person))
    names = ["number", *registry.DETAIL_FIELDS[type(record)]]
    if isinstance(record, House):
        names = ["unit", "floor", *names]
    rows = []
    for name in names:
        field = type(record)._meta.get_field(name)
        display = getattr(record, f"get_{name}_display", None)
        value = display() if display else getattr(record, name)
        rows.append((str(field.verbose_name), "" if value is None else str(value)))
    return rows


def _labels(model, names) -> list[str]:
    labels = []
    for name in names:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            labels.append(name)  # e.g. the status a life event changed
    return labels


@method_decorator(never_cache, name="dispatch")
class ObjectionListView(LoginRequiredMixin, JurisdictionScopedMixin, FilterView):
    """数据异议: the objections of the user's jurisdiction; the open ones they resolve first."""

    jurisdiction_path = "grid__path"
    model = Objection
    filterset_class = ObjectionFilterSet
    template_name = "datagov/objections/list.html"
    paginate_by = 50

    def get_queryset(self):
        return objections.owners_first(
            super().get_queryset().select_related("grid"), self.request.user
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["filter"].form
        bootstrap_classes(form.fields.values())
        context["filter_form"] = form
        paths = objections.resolver_paths(self.request.user)
        for objection in context["object_list"]:
            objection.resolvable = objection.status == Objection.Status.OPEN and (
                objections.can_resolve(self.request.user, objection, paths)
            )
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context

    def render_to_response(self, context, **kwargs):
        if context["filter"].is_bound and not context["filter"].is_valid():
            kwargs.setdefault("status", 400)
        return super().render_to_response(context, **kwargs)


class ObjectionRaiseView(LoginRequiredMixin, View):
    """Raise an objection against a registry record the user can read (the panel of the
    record's page posts here); then back to the record's page."""

    jurisdiction_exempt = (
        "a POST naming a registry record, looked up in the user's jurisdiction (404 outside)"
    )
    http_method_names = ["post"]

    def post(self, request):
        record_type = request.POST.get("record_type", "")
        record_id = request.POST.get("record_id", "")
        if ":" in record_id:  # the building panel's choice: "house:12" or "building:3"
            record_type, _sep, record_id = record_id.partition(":")
        record = objections.visible_record(request.user, record_type, record_id)
        form = RaiseForm(request.POST, record_type=record_type, auto_id="id_objection_%s")
        if form.is_valid():
            try:
                objection = objections.raise_objection(
                    actor=request.user, record=record, **form.cleaned_data
                )
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(
                    request,
                    _("Objection #%(id)s raised; the community will resolve it.")
                    % {"id": objection.pk},
                )
                return redirect(record_url(record))
        context = {
            "form": form,
            "record": record,
            "record_type": record_type,
            "back": record_url(record),
        }
        return render(request, "datagov/objections/raise.html", context, status=400)


@method_decorator(never_cache, name="dispatch")
class ObjectionDetailView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """One objection: what was said, what the registry holds now, and for the staff of the
    record's community the correction and rejection forms; once closed, how it was resolved
    and the registry's history of it."""

    jurisdiction_path = "grid__path"
    model = Objection
    template_name = "datagov/objections/detail.html"
    context_object_name = "objection"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "person__grid",
                "household__grid",
                "house__building",
                "building",
                "raised_by",
                "resolved_by",
                "audit_entry",
                "life_event",
            )
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if isinstance(self.object.record, Person):
            # The page shows the person's details, as the person's own page does: audited.
            registry.record_view(self.object.record, actor=request.user)
        return self.render_to_response(self.get_context_data(object=self.object))

    def post(self, request, *args, **kwargs):
        self.object = objection = self.get_object()
        operation = request.POST.get("op", "")
        if operation not in ("correct", "reject"):
            return self.page(status=400)
        # The policy, then the status, then the input (docs/api.md's order).
        if not objections.can_resolve(request.user, objection):
            raise PermissionDenied(
                _("Only the staff of the record's community resolve objections.")
            )
        if objection.status != Objection.Status.OPEN:
            return self.page(status=409, closed=True)
        if operation == "reject":
            form = RejectForm(request.POST, prefix="reject")
            forms = {"reject_form": form}
        else:
            form = CorrectionForm(request.POST, prefix="correct", record_type=objection.record_type)
            forms = {"correction_form": form}
        if form.is_valid():
            try:
                if operation == "reject":
                    objections.reject(
                        objection, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                else:
                    objections.resolve_by_correction(
                        objection,
                        actor=request.user,
                        correction=form.cleaned_data["correction"],
                        changes=form.changes()
                        if form.cleaned_data["correction"] == objections.UPDATE
                        else {},
                        on=form.cleaned_data["on"],
                        resolution=form.cleaned_data["resolution"],
                    )
            except objections.ObjectionClosed:
                return self.page(status=409, closed=True)
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                done = (
                    _("Objection rejected.")
                    if operation == "reject"
                    else _("Record corrected; the objection is closed.")
                )
                messages.success(request, done)
                return redirect("datagov-objection", pk=objection.pk)
        return self.page(status=400, **forms)

    def page(self, status=200, **kwargs):
        self.object = self.get_queryset().get(pk=self.object.pk)
        return self.render_to_response(
            self.get_context_data(object=self.object, **kwargs), status=status
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        objection = self.object
        record = objection.record
        context["record"] = record
        context["record_url"] = record_url(record)
        context["values"] = record_values(record)
        model = type(record)
        context["field_labels"] = _labels(model, objection.field_names)
        if objection.audit_entry is not None:
            # The registry's history names fields; the page says them in words.
            changed = objection.audit_entry.fields.split(",")
            context["history_fields"] = _labels(model, [n for n in changed if n])
        may_resolve = objection.status == Objection.Status.OPEN and objections.can_resolve(
            self.request.user, objection
        )
        context["may_resolve"] = may_resolve
        if may_resolve:
            initial = {
                name: getattr(record, name)
                for name in objections.correctable_fields(objection.record_type)
            }
            context.setdefault(
                "correction_form",
                CorrectionForm(
                    prefix="correct", record_type=objection.record_type, initial=initial
                ),
            )
            context.setdefault("reject_form", RejectForm(prefix="reject"))
        return context
