"""Item API: one small view per resource, serializers for input and output, services for writes."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.api.serializers import (
    ItemCreateInputSerializer,
    ItemFilterSerializer,
    ItemImageInputSerializer,
    ItemImageOutputSerializer,
    ItemOutputSerializer,
    ItemUpdateInputSerializer,
)
from catalog.filters import ItemFilter
from catalog.models import Item, ItemImage
from searchapp.api import Pagination
from searchapp.parsers import API_PARSERS


def is_curator(request: Request) -> bool:
    """Curators (who may change items) also see inactive items."""
    return bool(request.user and request.user.has_perm("catalog.change_item"))


class ItemImagePermission(DjangoModelPermissionsOrAnonReadOnly):
    """Adding or removing an image changes the item: catalog.change_item."""

    perms_map = {
        **DjangoModelPermissionsOrAnonReadOnly.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.change_%(model_name)s"],
    }


class CatalogApi(APIView):
    # DjangoModelPermissionsOrAnonReadOnly reads the model from here: writes need the
    # matching catalog.add/change/delete_item permission (staff curators, superusers).
    queryset = Item.objects.none()
    parser_classes = API_PARSERS

    def get_item(self, request: Request, item_id: int) -> Item:
        item = selectors.item_get(item_id=item_id, include_inactive=is_curator(request))
        if item is None:
            raise Http404
        return item

    def item_response(
        self, request: Request, item: Item, code: int = status.HTTP_200_OK
    ) -> Response:
        fresh = selectors.item_get(item_id=item.pk, include_inactive=True)
        return Response(ItemOutputSerializer(fresh, context={"request": request}).data, status=code)


class ItemListApi(CatalogApi):
    pagination_class = Pagination  # read by the schema; get() paginates explicitly

    @extend_schema(
        summary="List items",
        parameters=[ItemFilterSerializer],
        responses=ItemOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = ItemFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        curator = is_curator(request)
        category = data.get("category")
        queryset = selectors.item_list(
            item_filter=ItemFilter(
                categories=(category,) if category else (),
                price_min=data.get("price_min"),
                price_max=data.get("price_max"),
                external_id=data.get("external_id") or None,
                include_inactive=curator and data["is_active"] is not True,
            ),
            ordering=data["ordering"],
        )
        if curator and data["is_active"] is False:
            queryset = queryset.filter(is_active=False)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        serializer = ItemOutputSerializer(page, many=True, context={"request": request})
        return paginator.get_paginated_response(serializer.data)

    @extend_schema(
        summary="Create an item",
        description=(
            "JSON with `images` as base64 data URLs or http(s) image URLs, or "
            "multipart/form-data with one or more `images` files or URLs (and `attributes` as "
            "a JSON string). URLs are fetched now, from public hosts only; a URL that is "
            "refused or fails is a 400 and nothing is stored. Needs catalog.add_item."
        ),
        request=ItemCreateInputSerializer,
        responses={201: ItemOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = ItemCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        result = services.item_upsert(
            external_id=fields.pop("external_id"),
            images=fields.pop("images"),
            fields=fields,
            if_exists="refuse",
        )
        assert result.item is not None  # noqa: S101 - not a dry run
        return self.item_response(request, result.item, status.HTTP_201_CREATED)


class ItemDetailApi(CatalogApi):
    @extend_schema(summary="Get an item", responses=ItemOutputSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        return self.item_response(request, self.get_item(request, item_id))

    @extend_schema(
        summary="Change some fields of an item",
        request=ItemUpdateInputSerializer,
        responses=ItemOutputSerializer,
    )
    def patch(self, request: Request, item_id: int) -> Response:
        return self._update(request, item_id, partial=True)

    @extend_schema(
        summary="Replace an item's fields",
        request=ItemCreateInputSerializer,
        responses=ItemOutputSerializer,
    )
    def put(self, request: Request, item_id: int) -> Response:
        return self._update(request, item_id, partial=False)

    def _update(self, request: Request, item_id: int, *, partial: bool) -> Response:
        item = self.get_item(request, item_id)
        if isinstance(request.data, dict) and request.data.get("images"):
            # Refused before validation: no image is decoded, and no URL fetched, in vain.
            raise ValidationError({"images": ["Add images with POST /api/v1/items/{id}/images/."]})
        serializer_class = ItemUpdateInputSerializer if partial else ItemCreateInputSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(serializer.validated_data)
        changes.pop("images", None)
        external_id = changes.pop("external_id", item.external_id)
        services.item_upsert(item=item, external_id=external_id, fields=changes)
        return self.item_response(request, item)

    @extend_schema(summary="Delete an item and its images", responses={204: None})
    def delete(self, request: Request, item_id: int) -> Response:
        services.item_delete(item=self.get_item(request, item_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemImageListApi(CatalogApi):
    permission_classes = [ItemImagePermission]

    @extend_schema(summary="List an item's images", responses=ItemImageOutputSerializer(many=True))
    def get(self, request: Request, item_id: int) -> Response:
        item = self.get_item(request, item_id)
        data = ItemImageOutputSerializer(
            item.images.all(), many=True, context={"request": request}
        ).data
        return Response(data)

    @extend_schema(
        summary="Add an image to an item",
        description=(
            "multipart `image` file, or JSON `image` as a data URL or an http(s) image URL "
            "(fetched now, from public hosts only; refused or failed: 400, nothing stored). "
            "Needs catalog.change_item."
        ),
        request=ItemImageInputSerializer,
        responses={201: ItemImageOutputSerializer, 200: ItemImageOutputSerializer},
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = self.get_item(request, item_id)
        serializer = ItemImageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item_image, created = services.item_image_add(item=item, **serializer.validated_data)
        return Response(
            ItemImageOutputSerializer(item_image, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ItemImageDetailApi(CatalogApi):
    permission_classes = [ItemImagePermission]

    @extend_schema(
        summary="Remove an image from an item",
        parameters=[OpenApiParameter("image_id", int, OpenApiParameter.PATH)],
        responses={204: None},
    )
    def delete(self, request: Request, item_id: int, image_id: int) -> Response:
        item = self.get_item(request, item_id)
        try:
            item_image = item.images.get(pk=image_id)
        except ItemImage.DoesNotExist as exc:
            raise Http404 from exc
        services.item_image_delete(item_image=item_image)
        return Response(status=status.HTTP_204_NO_CONTENT)
