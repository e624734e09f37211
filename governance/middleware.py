"""Middleware of the project."""

from django.http import JsonResponse
from rest_framework.exceptions import NotFound

from governance.errors import error_body


class ApiNotFoundMiddleware:
    """A 404 under /api/ that no API view answered (the URL matches no route, e.g. an id that
    is not a number) in JSON, as every other API error, instead of the HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            body = error_body(NotFound.default_detail, NotFound.default_code)
            return JsonResponse(body, status=404)
        return response
