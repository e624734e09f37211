"""The two formats of GeoReport v2: XML (the required one) and JSON, chosen by the extension of
the URL (`services.xml`, `requests/123.json`), and the specification's error shape in both.

The JSON is the XML's structure with lists as arrays (the specification's "Spark convention"):
one structure, two writers. XML is written with the standard library's ElementTree, which
escapes markup; characters XML 1.0 cannot carry at all (control characters) are left out.
Nothing here parses XML: requests come form-encoded, as the specification says.
"""

import json
import re
from datetime import datetime
from xml.etree.ElementTree import Element, tostring

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# The element of each item of a list, by the list's own element.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w3(moment: datetime | None) -> str | None:
    """A date and time as the specification writes them (W3C ISO 8601, with the offset)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _element(tag: str, value) -> Element:
    element = Element(tag)
    if isinstance(value, dict):
        for name, child in value.items():
            element.append(_element(name, child))
    elif isinstance(value, list):
        for child in value:
            element.append(_element(ITEM_TAGS[tag], child))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_IN_XML.sub("", str(value))
    return element


def body(fmt: str, root: str, data) -> bytes:
    """`data` (a list of the items of `root`, or a dict of its fields) in `fmt`."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False).encode()
    return tostring(_element(root, data), encoding="utf-8", xml_declaration=True)


def response(fmt: str, root: str, data, *, status: int = 200) -> HttpResponse:
    return HttpResponse(body(fmt, root, data), status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, status: int, descriptions, **headers) -> HttpResponse:
    """The specification's errors: [{"code": 400, "description": "…"}], or <errors> in XML. An
    unknown format answers in XML, the format every GeoReport v2 client reads."""
    fmt = fmt if fmt in FORMATS else "xml"
    errors = [{"code": status, "description": str(text)} for text in descriptions]
    answer = response(fmt, "errors", errors, status=status)
    for name, value in headers.items():
        answer[name.replace("_", "-")] = value
    return answer
