"""The API's JSON parser: DRF's, with a bound on how deeply a body nests.

Python's json module parses nested arrays and objects by recursion, so a body nested a few
thousand levels deep ("[[[[…") raised RecursionError: a 500 on every JSON endpoint, and on the
token view without signing in. No request of this API nests more than a few levels; deeper
bodies are refused with a 400 before a view sees them. Set as DRF's default parser
(REST_FRAMEWORK in settings), and on the view that names its parsers itself (the token view).
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deep enough for every request body of the API (a case with its photos' metadata is 3 levels).
MAX_DEPTH = 32


def depth_of(data) -> int:
    """How deeply `data` (parsed JSON) nests: 0 for a scalar, 1 for a flat list or object.
    Walked with a stack of our own, so depth costs no recursion."""
    deepest = 0
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    """JSON bodies nested at most MAX_DEPTH levels; deeper ones are a 400. (Their size is
    bounded before parsing: DRF reads them through request.body, which refuses more than
    DATA_UPLOAD_MAX_MEMORY_SIZE; governance/rest.py makes that a JSON 400 as well.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if depth_of(data) <= MAX_DEPTH:
                return data
        raise ParseError(
            _("The JSON in the request body nests too deeply (at most %(depth)s levels).")
            % {"depth": MAX_DEPTH}
        )
