from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import renderers, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from searchapp.health import health_status
from searchapp.parsers import API_PARSERS
from searchapp.throttles import LoginThrottle

API_PREFIX = "/api/"


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unexpected error: JSON for API clients, the plain page for browsers; never details."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Internal server error; it has been logged."}, status=500)
    return defaults.server_error(request)


HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded"]),
        "database": serializers.DictField(),
        "broker": serializers.DictField(),
    },
)


class HealthApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @extend_schema(summary="Service health", responses={200: HEALTH, 503: HEALTH})
    def get(self, request: Request) -> Response:
        report = health_status()
        code = (
            status.HTTP_200_OK if report["status"] == "ok" else status.HTTP_503_SERVICE_UNAVAILABLE
        )
        return Response(report, status=code)


class TokenApi(ObtainAuthToken):
    """POST username + password, get the user's API token. Throttled per client address;
    bodies read within the API's size limits."""

    throttle_classes = [LoginThrottle]
    parser_classes = API_PARSERS


class SchemaApi(SpectacularAPIView):
    """The OpenAPI schema (YAML or JSON). An error, such as an unknown ?format=, is the JSON
    envelope like every other API error, not YAML."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[renderers.BaseRenderer, str]:
        if force:  # DRF asks again, forced, only to render an error
            renderer = renderers.JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)
