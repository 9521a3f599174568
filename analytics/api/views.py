"""POST /analytics/events/: a click on a search result, or a conversion that followed it."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api.serializers import SearchEventInputSerializer, SearchEventOutputSerializer
from analytics.services import search_event_create
from catalog.api.fields import refuse_unknown_keys
from searchapp.parsers import JSONParser
from searchapp.throttles import AnonThrottle

EVENT_FIELDS = list(SearchEventInputSerializer().fields)


class SearchEventApi(APIView):
    # Anonymous by design (shoppers' browsers, sendBeacon): no session or token is read, so
    # no CSRF check refuses a signed-in curator's clicks, and each client address is
    # throttled like any anonymous client.
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Report a click on a search result, or a conversion",
        description=(
            "JSON {search_id, item_id, position, kind}: search_id is the `search_id` of the "
            "search response the shopper acted on, position the result's 1-based position "
            "across pages, kind click (default), add_to_cart or purchase. Anonymous; "
            "throttled per client address. A search is logged a moment after it answered; "
            "an unknown search_id or item_id is a 400."
        ),
        request=SearchEventInputSerializer,
        responses={201: SearchEventOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, Mapping):
            raise ValidationError({"non_field_errors": ["The JSON body must be an object."]})
        refuse_unknown_keys(request.data, EVENT_FIELDS)
        serializer = SearchEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = search_event_create(
            search=data["search_id"], item=data["item_id"], position=data["position"],
            kind=data["kind"],
        )  # fmt: skip
        return Response(SearchEventOutputSerializer(event).data, status=status.HTTP_201_CREATED)
