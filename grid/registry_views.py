"""Pages of the community resource registry (以房管人): the search page, a building's floors ×
rooms with who lives where, a household with its members and a small family graph, and a person.

Every page is scoped like the API (JurisdictionScopedMixin on the registry rows' `grid`), so a
row of another grid is a 404. Personal fields are masked (registry.masked); the person page
shows the full values once, after a POST the policy allows, through the audited
registry.reveal(). The exact-ID search is a POST too: an ID number never appears in a URL.

`building_layout()` and `family_graph()` are the read-side selectors of these pages; the API
serves the same building layout.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView
from django_filters.views import FilterView

from governance.forms import bootstrap_classes
from grid import codes, extensions, idnumbers, limits, policies, registry
from grid.jurisdiction import JurisdictionScopedMixin, restrict
from grid.models import (
    AuditEntry,
    Building,
    House,
    Household,
    Membership,
    Person,
    RevealPurpose,
)
from grid.registry_filtersets import BuildingFilterSet, PersonFilterSet, age_on, code_language

PAGE_SIZE = 50
SEARCH_FIELDS = ("name", "building", "population_type", "age_min", "age_max", "sex", "care_tag")


def code_label(table: str, code: str) -> str:
    return codes.label(table, code, code_language())


def care_tag_name(tag) -> str:
    return tag.name_en if code_language() == "en" else tag.name


def decorate(person: Person, today=None) -> Person:
    """Attach what the templates show of a person beside the model fields: masked personal
    fields, age and relation label. Never the full ID number or phone."""
    masked = registry.masked(person)
    person.masked_id_number = masked["id_number"]
    person.masked_phone = masked["phone"]
    person.age = age_on(person.birth_date, today or timezone.localdate())
    person.relation_label = code_label("relation_to_head", person.relation_to_head)
    person.sex_label = code_label("sex", person.sex)
    return person


def keyset_page(queryset, request, size: int = PAGE_SIZE):
    """One page of `queryset` in id order after the id in ?after=, and the query string of the
    next page (None on the last). Keyset, not OFFSET: as fast on page 1000 as on page 1."""
    try:
        after = int(request.GET.get("after", ""))
    except ValueError:
        after = None
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("pk")[: size + 1])
    next_query = None
    if len(rows) > size:
        rows = rows[:size]
        query = request.GET.copy()
        query["after"] = rows[-1].pk
        next_query = query.urlencode()
    return rows, next_query, after is not None


# The building: units → floors (top down) → rooms with their households and occupants


@dataclass
class Room:
    house: House

    @property
    def households(self):
        return self.house.households.all()

    @property
    def occupants(self):
        return self.house.occupants.all()


@dataclass
class Floor:
    number: int
    rooms: list[Room] = field(default_factory=list)

    @property
    def houses(self) -> list[House]:
        return [room.house for room in self.rooms]


@dataclass
class Unit:
    number: int
    floors: list[Floor] = field(default_factory=list)


def building_layout(building: Building) -> list[Unit]:
    """The building's units, each with every floor from the top down (floors without a recorded
    room too, so gaps in the registry show) and the rooms on it. Each room's house comes with its
    current households and the people living there prefetched (`house.households.all()`,
    `house.occupants.all()`, the occupants decorated), so the page and the API's serializers
    read them without a query. Three queries whatever the size of the building."""
    living = Person.objects.filter(status=Person.Status.LIVING)
    houses = list(
        House.objects.filter(building=building)
        .order_by("unit", "floor", "number")
        .prefetch_related(
            Prefetch("households", queryset=Household.objects.order_by("number")),
            Prefetch("occupants", queryset=living.order_by("relation_to_head", "name", "id")),
        )
    )
    today = timezone.localdate()
    rooms = defaultdict(lambda: defaultdict(list))
    for house in houses:
        house.building = building  # known already: spares a query per room
        for person in house.occupants.all():
            decorate(person, today)
        rooms[house.unit][house.floor].append(Room(house))
    unit_numbers = sorted(set(range(1, building.units + 1)) | set(rooms))
    units = []
    for number in unit_numbers:
        floors = sorted(set(range(1, building.floors + 1)) | set(rooms[number]), reverse=True)
        units.append(Unit(number, [Floor(f, rooms[number][f]) for f in floors]))
    return units


# The household's family graph, drawn server-side as SVG


NODE_WIDTH, NODE_HEIGHT, GAP_X, GAP_Y, MARGIN = 132, 46, 16, 36, 8
_LABEL_MAX = 22


def generation(relation: str) -> int | None:
    """The row of the family graph a relation to the head (GB/T 4761) is drawn on: -2
    grandparents, -1 parents, 0 the head and spouse, 1 children (and their spouses),
    2 grandchildren; None for everyone else, drawn to the side."""
    group = relation[:1]
    return {"0": 0, "1": 0, "2": 1, "3": 1, "4": 2, "5": -1, "6": -2}.get(group)


def family_graph(household: Household, members: list[Membership]) -> dict:
    """Nodes and edges of the household's current members around its head, with coordinates:
    the head in the middle, spouse beside, children below, parents above, others to the side.
    Each node carries the person's name, relation label and page link."""
    head = next((m for m in members if m.person_id == household.head_id), None)
    rows: dict[int, list] = defaultdict(list)
    others = []
    for member in members:
        if member is head:
            continue
        row = generation(member.relation)
        if row is None or member.relation == registry.HEAD:
            others.append(member)
        else:
            rows[row].append(member)
    # Row 0: the head in the middle column, spouses to the right of it.
    row_zero = [head, *rows.pop(0, [])]
    step = NODE_WIDTH + GAP_X
    placed = {}  # membership (or None for a missing head) → (x, y) of the node's top left
    levels = sorted({0, *rows})
    top = levels[0]

    def y_of(level):
        return MARGIN + (level - top) * (NODE_HEIGHT + GAP_Y)

    for i, member in enumerate(row_zero):
        placed[id(member)] = (i * step, y_of(0), member)
    for level in levels:
        if level == 0:
            continue
        row = rows[level]
        start = -(len(row) - 1) * step / 2
        for i, member in enumerate(row):
            placed[id(member)] = (start + i * step, y_of(level), member)
    xs = [x for x, _y, _m in placed.values()]
    side_x = max(xs) + step + GAP_X
    for i, member in enumerate(others):
        placed[id(member)] = (side_x, y_of(top) + i * (NODE_HEIGHT + GAP_Y / 2), member)
    shift = MARGIN - min(x for x, _y, _m in placed.values())
    nodes = []
    centre = {}
    for key, (x, y, member) in placed.items():
        x, y = round(x + shift), round(y)
        centre[key] = (x + NODE_WIDTH // 2, y + NODE_HEIGHT // 2)
        node = {
            "x": x,
            "y": y,
            "cx": x + NODE_WIDTH // 2,
            "name_y": y + 19,
            "label_y": y + 37,
            "is_head": member is head,
        }
        if member is None:
            node.update(name=_("No head of household"), label="", url="", placeholder=True)
        else:
            label = code_label("relation_to_head", member.relation)
            if len(label) > _LABEL_MAX:
                label = label[: _LABEL_MAX - 1] + "…"
            node.update(
                name=member.person.name,
                label=label,
                url=reverse("registry-person", args=[member.person_id]),
                placeholder=False,
            )
        nodes.append(node)
    edges = []
    hx, hy = centre[id(head)]

    def link(a, b, dashed=False):
        (x1, y1), (x2, y2) = a, b
        edges.append({"x1": x1, "y1": y1, "x2": x2, "y2": y2, "dashed": dashed})

    for member in row_zero[1:]:
        link((hx, hy), centre[id(member)])
    first_of = {level: rows[level][0] for level in rows if rows[level]}
    for level in levels:
        if level == 0:
            continue
        # Each generation hangs from the first node of the one nearer the head, or the head.
        nearer = level - 1 if level > 0 else level + 1
        anchor = centre[id(first_of[nearer])] if nearer in first_of else (hx, hy)
        for member in rows[level]:
            link(anchor, centre[id(member)])
    for member in others:
        link((hx, hy), centre[id(member)], dashed=True)
    max_x = max(n["x"] for n in nodes) + NODE_WIDTH + MARGIN
    max_y = max(n["y"] for n in nodes) + NODE_HEIGHT + MARGIN
    return {
        "width": round(max_x),
        "height": round(max_y),
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
        "nodes": nodes,
        "edges": edges,
    }


# Pages


class UnechoedTextInput(forms.TextInput):
    """A text input that never writes its value back into the page, so a posted ID number is
    not echoed into the HTML (nor any cache or screenshot of it)."""

    def format_value(self, value):
        return None


class IdLookupForm(forms.Form):
    """The exact-ID search: posted, never put in a URL."""

    id_type = forms.ChoiceField(
        label=gettext_lazy("ID type"),
        choices=idnumbers.IdType.choices,
        initial=idnumbers.IdType.RESIDENT,
    )
    id_number = forms.CharField(
        label=gettext_lazy("ID number"),
        max_length=30,
        widget=UnechoedTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean(self):
        cleaned = super().clean()
        number, id_type = cleaned.get("id_number"), cleaned.get("id_type")
        if number and id_type:
            try:
                cleaned["id_number"] = idnumbers.validate_id(id_type, number)
            except DjangoValidationError as exc:
                self.add_error("id_number", exc.messages)
        return cleaned


class RevealForm(forms.Form):
    purpose = forms.ChoiceField(
        label=gettext_lazy("Purpose"), choices=[("", "——"), *RevealPurpose.choices]
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Required when the purpose is “Other”."),
    )


def _style(form):
    """Bootstrap classes on a form's widgets."""
    bootstrap_classes(form.fields.values())
    return form


def _search_form(form):
    """The person filter form as the search page shows it: care tags as check boxes named in
    the request's language."""
    tags = form.fields["care_tag"]
    tags.label_from_instance = care_tag_name
    tags.widget = forms.CheckboxSelectMultiple()
    tags.widget.choices = tags.choices
    # GB/T 2261.1 has both 0 "未知的性别" and 9 "未说明的性别"; side by side in a select they read
    # as one choice twice. The page offers 9, the one a person picks; 0 comes from imported
    # data, stays a valid value (links, the API) and is listed when it is the one asked for.
    sex = form.fields["sex"]
    sex.widget.choices = [
        choice for choice in sex.choices if choice[0] != "0" or form.data.get("sex") == "0"
    ]
    return _style(form)


def _person_queryset():
    return Person.objects.select_related("grid", "house__building", "household").prefetch_related(
        "care_tags"
    )


@method_decorator(never_cache, name="dispatch")
class RegistrySearchView(LoginRequiredMixin, JurisdictionScopedMixin, FilterView):
    """Find persons in the user's jurisdiction: by name, building, care tag, population type,
    age … (GET), or by exact ID number (POST)."""

    jurisdiction_path = "grid__path"
    model = Person
    filterset_class = PersonFilterSet
    template_name = "grid/registry/search.html"

    def get_queryset(self):
        return (
            super().get_queryset().select_related("house__building").prefetch_related("care_tags")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["filter_form"] = _search_form(context["filter"].form)
        # Filters the page has no input for (grid, house, household, status …) still work from
        # a link; their errors are listed apart.
        context["hidden_filter_errors"] = [
            form[name] for name in form.errors if name in form.fields and name not in SEARCH_FIELDS
        ]
        context.setdefault("lookup_form", _style(IdLookupForm()))
        if context["filter"].is_bound:
            rows, next_query, paged = keyset_page(context["object_list"], self.request)
            today = timezone.localdate()
            context["persons"] = [decorate(p, today) for p in rows]
            context["next_query"], context["paged"] = next_query, paged
        return context

    def post(self, request, *args, **kwargs):
        form = _style(IdLookupForm(request.POST))
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.object_list = self.filterset.queryset.none()
        found = None
        if form.is_valid():
            matches = restrict(
                registry.find_by_id_number(form.cleaned_data["id_number"]),
                request.user,
                path_field="grid__path",
            ).select_related("house__building")
            today = timezone.localdate()
            found = [decorate(p, today) for p in matches.prefetch_related("care_tags")]
            for person in found:
                registry.audit(request.user, AuditEntry.Action.VIEW, person, detail="lookup")
        context = self.get_context_data(
            filter=self.filterset, object_list=self.object_list, lookup_form=form
        )
        context["lookup_results"] = found
        return self.render_to_response(context, status=200 if form.is_valid() else 400)

    def render_to_response(self, context, **kwargs):
        # A search with bad input answers 400, with the message beside its field.
        bad = context["filter"].is_bound and not context["filter"].is_valid()
        if self.request.method == "GET" and bad:
            kwargs.setdefault("status", 400)
        return super().render_to_response(context, **kwargs)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if self.request.method == "POST":
            kwargs["data"] = None
        return kwargs


class BuildingListView(LoginRequiredMixin, JurisdictionScopedMixin, FilterView):
    """The buildings of the user's jurisdiction, the way into the building pages."""

    jurisdiction_path = "grid__path"
    model = Building
    filterset_class = BuildingFilterSet
    template_name = "grid/registry/building_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("grid")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = _style(context["filter"].form)
        rows, next_query, paged = keyset_page(context["object_list"], self.request)
        context["buildings"], context["next_query"], context["paged"] = rows, next_query, paged
        return context


class BuildingDetailView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """A building as floors × rooms, with who lives in each room."""

    jurisdiction_path = "grid__path"
    model = Building
    queryset = Building.objects.select_related("grid")
    template_name = "grid/registry/building_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["units"] = building_layout(self.object)
        context["use_labels"] = dict(House.Use.choices)
        context["panels"] = _record_panels(self.request, self.object)
        return context


class HouseholdDetailView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """A household: its members and their relations (as a list and as a family graph), and the
    history of who belonged to it."""

    jurisdiction_path = "grid__path"
    model = Household
    queryset = Household.objects.select_related("grid", "house__building", "head")
    template_name = "grid/registry/household_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household = self.object
        memberships = list(
            household.memberships.select_related("person").order_by("started_on", "id")
        )
        today = timezone.localdate()
        for membership in memberships:
            decorate(membership.person, today)
            membership.relation_label = code_label("relation_to_head", membership.relation)
        members = [m for m in memberships if m.ended_on is None]
        members.sort(key=lambda m: (m.person_id != household.head_id, m.relation, m.person.name))
        context["members"] = members
        context["history"] = memberships
        context["graph"] = family_graph(household, members)
        context["panels"] = _record_panels(self.request, household)
        return context


@method_decorator(never_cache, name="dispatch")
class PersonDetailView(LoginRequiredMixin, JurisdictionScopedMixin, DetailView):
    """A person with every recorded field, masked; a POST (when the policy allows) shows the
    full ID number and phones once, audited. Every view is audited too."""

    jurisdiction_path = "grid__path"
    model = Person
    queryset = _person_queryset()
    template_name = "grid/registry/person_detail.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        registry.record_view(self.object, actor=request.user)
        return self.render_to_response(self.get_context_data(object=self.object))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        if not policies.can_reveal_personal_data(request.user, person.grid):
            raise PermissionDenied(_("You may not see the full personal data of this person."))
        form = _style(RevealForm(request.POST))
        if form.is_valid():
            try:
                revealed = registry.reveal(person, actor=request.user, **form.cleaned_data)
            except DjangoValidationError as exc:
                form.add_error(None, exc)
            except limits.LimitReached as exc:
                context = self.get_context_data(object=person, limit_reached=str(exc))
                response = self.render_to_response(context, status=429)
                response["Retry-After"] = str(exc.retry_after)
                return response
            else:
                context = self.get_context_data(object=person, revealed=revealed)
                return self.render_to_response(context)
        context = self.get_context_data(object=person, reveal_form=form)
        return self.render_to_response(context, status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = decorate(self.object)
        shown = kwargs.get("revealed") or registry.masked(person)
        context["shown"] = shown
        context["can_reveal"] = policies.can_reveal_personal_data(self.request.user, person.grid)
        if "reveal_form" not in kwargs:
            context["reveal_form"] = _style(RevealForm())
        context["fields"] = person_fields(person, shown)
        context["care_tags"] = [care_tag_name(t) for t in person.care_tags.all()]
        context["memberships"] = [
            _with_relation_label(m)
            for m in person.memberships.select_related("household").order_by("started_on", "id")
        ]
        context["events"] = person.events.select_related(
            "household", "house__building", "actor"
        ).order_by("-occurred_on", "-id")
        context["panels"] = _record_panels(self.request, person)
        return context


def _record_panels(request, record) -> list[dict]:
    """Other apps' sections of a record's page (data objections, …), by grid/extensions.py."""
    return extensions.panels(extensions.REGISTRY_RECORD, request, record.grid, record=record)


def _with_relation_label(membership: Membership) -> Membership:
    membership.relation_label = code_label("relation_to_head", membership.relation)
    return membership


def person_fields(person: Person, shown: dict) -> list[tuple[str, str]]:
    """(label, value) of every recorded field of a person, codes as labels, personal fields as
    given in `shown` (masked unless revealed)."""
    verbose = {f.name: f.verbose_name for f in Person._meta.fields}
    yes_no = {True: _("Yes"), False: _("No")}
    id_type = idnumbers.IdType(person.id_type).label if person.id_type else ""
    rows = [
        (verbose["id_type"], id_type),
        (verbose["id_number"], shown["id_number"]),
        (verbose["former_name"], person.former_name),
        (verbose["sex"], person.sex_label),
        (verbose["birth_date"], person.birth_date.isoformat() if person.birth_date else ""),
        (_("Age"), "" if person.age is None else str(person.age)),
    ]
    for name in registry.CODED_FIELDS:
        if name != "sex":
            rows.append(
                (verbose[name], code_label(registry.CODED_FIELDS[name], getattr(person, name)))
            )
    rows += [
        (verbose["native_place"], person.native_place),
        (verbose["occupation"], person.occupation),
        (verbose["employer"], person.employer),
        (verbose["phone"], shown["phone"]),
        (verbose["other_phone"], shown["other_phone"]),
        (verbose["population_type"], person.get_population_type_display()),
        (verbose["registered_address"], person.registered_address),
        (verbose["current_address"], person.current_address),
        (verbose["is_separated"], yes_no[person.is_separated]),
        (verbose["status"], person.get_status_display()),
    ]
    return [(str(label), value) for label, value in rows]
