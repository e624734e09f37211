"""The pages a Chinese user sees are in Chinese: no English word left untranslated and no
Django "---------" in the text or the labels (aria-label, title, placeholder, alt) of the
server-rendered HTML. Scripts and styles are not read; their strings are the field app's own
dictionary (static/field) and the libraries'.

A new exception goes in ALLOWED with the reason it is not a leftover."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from datagov import objections
from tests.cases.conftest import category, file_case, user  # noqa: F401 (fixtures)
from tests.grid.conftest import admin_user, family  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

# Words in Latin letters that are not English leftovers, each with why.
ALLOWED = {
    "ID": "身份证 ID is how staff say it; also the ID-number column",
    "API": "the name of the interface for integrators",
    "Open311": "the name of the standard",
    "GeoJSON": "the name of the file format",
    "CSV": "the name of the file format",
    "XLSX": "the name of the file format",
    "Excel": "the name of the program",
    "English": "the language switch names each language in that language",
}
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}
SKIPPED_ELEMENTS = {"script", "style", "template"}
ENGLISH = re.compile(r"(?<![A-Za-z0-9_.@/-])[A-Za-z]{2,}(?![A-Za-z0-9_@/-])")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        self.parts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def leftovers(html: str) -> list[str]:
    """The English words and Django dashes in a page's visible text and labels."""
    parser = _Text()
    parser.feed(html)
    found = []
    for part in parser.parts:
        if "---------" in part:
            found.append("---------")
        found += [word for word in ENGLISH.findall(part) if word not in ALLOWED]
    return found


def test_the_checker_finds_english_and_dashes_and_passes_chinese():
    html = (
        '<p>待受理 3</p><button aria-label="breadcrumb">x</button>'
        "<select><option>---------</option></select><script>var Level = 1</script>"
        "<p>导出 CSV · Case queue</p>"
    )
    assert leftovers(html) == ["breadcrumb", "---------", "Case", "queue"]


PAGES = [
    ("grid1", "/"),
    ("community", "/console/cases/"),
    ("community", "/console/cases/{case}/"),
    ("transport", "/console/dispatches/"),
    ("community", "/console/inbox/"),
    ("grid1", "/field/report/"),
    ("grid1", "/field/tasks/"),
    ("grid1", "/field/visits/"),
    ("grid1", "/field/inbox/"),
    ("supervisor", "/dashboard/"),
    ("supervisor", "/dashboard/wall/"),
    ("supervisor", "/dashboard/report/"),
    ("supervisor", "/dashboard/population/"),
    ("grid1", "/registry/"),
    ("grid1", "/registry/buildings/"),
    ("grid1", "/registry/buildings/{building}/"),
    ("grid1", "/registry/households/{household}/"),
    ("grid1", "/registry/persons/{person}/"),
    ("community", "/areas/"),
    ("community", "/registry/imports/"),
    ("community", "/registry/exports/"),
    ("community", "/party/"),
    ("community", "/party/coverage/"),
    ("grid1", "/field/party/"),
    ("grid1", "/field/care/"),
    ("grid1", "/field/care/requests/"),
    ("community", "/console/community/requests/"),
    ("community", "/console/community/requests/new/"),
    ("community", "/console/community/visits/"),
    ("district", "/console/cases/"),
    ("district", "/console/cases/{case}/"),
    # Every post's workbench (the home page) and the grouped messages with their filters.
    ("community", "/"),
    ("street", "/"),
    ("district", "/"),
    ("transport", "/"),
    ("supervisor", "/"),
    ("community", "/console/inbox/?unread=true&kind=escalated"),
    ("community", "/datagov/objections/"),
    ("community", "/datagov/objections/{objection}/"),
    ("supervisor", "/areas/{grid}/"),
    ("transport", "/datagov/requests/"),
    ("transport", "/datagov/requests/new/"),
    ("community", "/datagov/requests/"),
    ("supervisor", "/datagov/access/"),
]


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_no_english_leftovers_on_the_pages_a_chinese_user_sees(
    family,  # noqa: F811
    file_case,  # noqa: F811
    username,
    path,
):
    case = file_case()
    objection = objections.raise_objection(
        actor=get_user_model().objects.get(username="grid1"),
        record=family["head"],
        kind="wrong_address",
        text="门牌号有误",
    )
    url = path.format(
        objection=objection.pk,
        grid=family["head"].grid_id,
        case=case.pk,
        building=family["building"].pk,
        household=family["household"].pk,
        person=family["head"].pk,
    )
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(get_user_model().objects.get(username=username))

    page = client.get(url)

    assert page.status_code == 200, url
    assert sorted(set(leftovers(page.content.decode()))) == [], url
