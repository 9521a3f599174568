"""Server-rendered pages: the search page (the catalog grid when there is no query) and the
item page. Both only validate, call the search service or a selector, and render.

Beside the results, a filter sidebar (categories, price ranges and the attribute keys curators
mark facetable, each value with its count) and a sort order; every choice is a parameter of the
page's form, so the address always holds the whole search (shareable, back button).

The search page answers three ways from one template include (`catalog/_results.html`):
the whole page, or only the results fragment when the page's script asks for it with the
header ``X-Requested-With: fetch``. Text-only searches are GET requests (shareable URLs);
a search with an image is a multipart POST to the same URL. Without JavaScript the form
always POSTs; a POST without an image is redirected to its GET URL (Post/Redirect/Get).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import ValidationError

from catalog import selectors
from catalog.models import Item
from search.facets import Facets, facets_count
from search.parse import SearchFiltersSerializer, filter_from_data, params_data, query_from_params
from search.query import SearchQuery, UnknownItem
from search.service import item_search
from search.signals import search_report
from search.types import SearchMode, SortOrder
from searchapp.db import search_reads

FRAGMENT_HEADER = "X-Requested-With"
FRAGMENT_VALUE = "fetch"
# The browser form's fields, in the order they appear in a shareable URL (then `attr.<key>`).
SEARCH_PARAMS = ("q", "category", "price_min", "price_max", "mode", "sort", "cutoff", "item_id")
FILTER_PARAMS = ("category", "price_min", "price_max")
# A price range picked in the sidebar: "min:max" (either may be blank), only ever sent by the
# form; the page turns it into price_min and price_max.
PRICE_RANGE = "price_range"
CLEAR_FILTERS = "clear"
BROWSE_PAGE_SIZE = 24
SIMILAR_ITEMS = 8
# A query image is sent back in the page (never stored) so that a browser without
# JavaScript can page through image results; larger ones are not echoed.
ECHO_IMAGE_MAX_BYTES = 2 * 1024 * 1024
MODE_LABELS = {
    SearchMode.HYBRID: "Hybrid (words + meaning)",
    SearchMode.SEMANTIC: "Semantic (meaning)",
    SearchMode.LEXICAL: "Lexical (exact words)",
}
FIELD_LABELS = {
    "text": "Search text",
    "image": "Image",
    "item_id": "Item",
    "mode": "Mode",
    "page": "Page",
    "filters": "Filters",
    "filters.category": "Category",
    "filters.price_min": "Min price",
    "filters.price_max": "Max price",
    "sort": "Sort",
    "cutoff": "Relevance cutoff",
}
SORT_LABELS = {
    SortOrder.RELEVANCE: "Relevance",
    SortOrder.PRICE: "Price: low to high",
    SortOrder.PRICE_DESC: "Price: high to low",
    SortOrder.NEWEST: "Newest",
    SortOrder.TITLE: "Title: A to Z",
}
# Browsing has no relevance: the catalog grid is newest first unless asked otherwise.
BROWSE_ORDERINGS = {
    SortOrder.RELEVANCE: "newest",
    SortOrder.PRICE: "price",
    SortOrder.PRICE_DESC: "-price",
    SortOrder.NEWEST: "newest",
    SortOrder.TITLE: "title",
}


def _error_messages(errors: Any, field: str = "") -> list[str]:
    """A serializer's nested errors as sentences a person can read."""
    if isinstance(errors, Mapping):
        messages: list[str] = []
        for key, value in errors.items():
            name = field if key == "non_field_errors" else f"{field}.{key}".lstrip(".")
            messages.extend(_error_messages(value, name))
        return messages
    if isinstance(errors, list):
        return [message for value in errors for message in _error_messages(value, field)]
    label = FIELD_LABELS.get(field, field.rsplit(".", 1)[-1].replace("_", " ").capitalize())
    return [f"{label}: {errors}" if field else str(errors)]


def _is_default(name: str, value: str) -> bool:
    return (name, value) in {("mode", SearchMode.HYBRID.value), ("sort", SortOrder.RELEVANCE.value)}


def _shareable_query(params: QueryDict, *, page: bool = True) -> str:
    names = [*SEARCH_PARAMS, *sorted({key for key in params if key.startswith("attr.")})]
    if page:
        names.append("page")
    pairs = [
        (name, value)
        for name in names
        for value in params.getlist(name)
        if value.strip() and not _is_default(name, value)
    ]
    return urlencode(pairs)


def _price(text: str) -> str:
    """A price range end as the form sends it, or blank when it is not a price."""
    try:
        return str(Decimal(text)) if text.strip() and Decimal(text).is_finite() else ""
    except InvalidOperation:
        return ""


def _page_params(params: QueryDict) -> QueryDict:
    """The form's own fields resolved: a sidebar price range becomes price_min and price_max;
    "Clear all" drops every filter."""
    if PRICE_RANGE not in params and CLEAR_FILTERS not in params:
        return params
    resolved = params.copy()
    chosen = resolved.pop(PRICE_RANGE, [""])[-1]
    if chosen:
        low, _, high = chosen.partition(":")
        resolved.setlist("price_min", [_price(low)])
        resolved.setlist("price_max", [_price(high)])
    if resolved.pop(CLEAR_FILTERS, None) is not None:
        for name in [*FILTER_PARAMS, *(key for key in resolved if key.startswith("attr."))]:
            resolved.pop(name, None)
    return resolved


def _form_values(params: QueryDict) -> dict[str, Any]:
    return {
        "q": params.get("q", ""),
        "mode": params.get("mode") or SearchMode.HYBRID.value,
        "sort": params.get("sort") or SortOrder.RELEVANCE.value,
        "item_id": params.get("item_id", ""),
    }


@dataclass(frozen=True)
class Choice:
    """One value of a facet in the sidebar: its count, or None where it was not counted (the
    search could not run, or a chosen value that no longer matches anything)."""

    value: str
    label: str
    count: int | None
    selected: bool


@dataclass(frozen=True)
class FacetGroup:
    name: str  # the form field
    label: str
    choices: list[Choice]


def _chosen_kept(choices: list[Choice], chosen: list[str]) -> list[Choice]:
    """Chosen values the counts left out still show, ticked: unticking them is how to drop
    them, and the form must keep sending them meanwhile."""
    shown = {choice.value for choice in choices}
    return choices + [Choice(v, v, None, True) for v in dict.fromkeys(chosen) if v not in shown]


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"${value:,.2f}".replace(".00", "")


def _price_label(low: Decimal | None, high: Decimal | None) -> str:
    if low is None or low == 0:
        return f"Up to {_money(high)}" if high is not None else "Any price"
    return f"{_money(low)} and up" if high is None else f"{_money(low)} – {_money(high)}"


def _sidebar(facets: Facets | None, params: QueryDict) -> dict[str, Any]:
    """The filter sidebar: each facet's values with counts (what choosing it returns), the
    chosen values kept even where nothing was counted."""
    facets = facets or Facets()
    categories = [Choice(f.value, f.value, f.count, f.selected) for f in facets.categories]
    groups = [FacetGroup("category", "Category",
                         _chosen_kept(categories, params.getlist("category")))]  # fmt: skip
    for facet in facets.attributes:
        name = f"attr.{facet.key}"
        choices = [Choice(f.value, f.value, f.count, f.selected) for f in facet.values]
        groups.append(FacetGroup(name, facet.label, _chosen_kept(choices, params.getlist(name))))
    counted = {facet.key for facet in facets.attributes}
    for key in sorted(k.removeprefix("attr.") for k in params if k.startswith("attr.")):
        if key not in counted:  # chosen by URL, not (or no longer) a facet: still shown
            groups.append(
                FacetGroup(f"attr.{key}", key, _chosen_kept([], params.getlist(f"attr.{key}")))
            )
    prices = [
        Choice(f"{b.min or ''}:{b.max or ''}", _price_label(b.min, b.max), b.count, b.selected)
        for b in facets.prices
    ]
    if len(prices) < 2:  # one range holds every result: nothing to choose between
        prices = []
    chosen = any(params.get(name, "").strip() for name in FILTER_PARAMS) or any(
        value.strip() for key in params if key.startswith("attr.") for value in params.getlist(key)
    )
    price_min, price_max = params.get("price_min", ""), params.get("price_max", "")
    return {
        "groups": [group for group in groups if group.choices],
        "prices": prices,
        "price_min": price_min,
        "price_max": price_max,
        "price_any": not (price_min.strip() or price_max.strip()),
        "filters_chosen": chosen,
    }


def _respelled_query(params: QueryDict, text: str | None) -> str:
    """The shareable URL's query with the suggested spelling as the text."""
    if not text:
        return ""
    respelled = params.copy()
    respelled.setlist("q", [text])
    respelled.pop("page", None)
    return _shareable_query(respelled)


def _data_url(query: SearchQuery) -> str:
    image = query.image
    if image is None or len(image.data) > ECHO_IMAGE_MAX_BYTES:
        return ""
    return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def _browse(params: QueryDict) -> tuple[dict[str, Any], int]:
    """No query: the catalog grid, newest first, under the same filters."""
    serializer = SearchFiltersSerializer(
        data=params_data(params, refuse_unknown=False).get("filters", {})
    )
    if not serializer.is_valid():
        return {"state": "error", "errors": _error_messages(serializer.errors, "filters")}, 400
    sort = params.get("sort") or SortOrder.RELEVANCE.value
    if sort not in {order.value for order in SortOrder}:
        choices = ", ".join(order.value for order in SortOrder)
        return {"state": "error", "errors": [f"Sort: choose one of {choices}."]}, 400
    item_filter = filter_from_data(serializer.validated_data, include_inactive=False)
    ordering = BROWSE_ORDERINGS[SortOrder(sort)]
    items: QuerySet[Item] = selectors.item_list(item_filter=item_filter, ordering=ordering)
    page = Paginator(items, BROWSE_PAGE_SIZE).get_page(params.get("page"))
    return {
        "state": "browse",
        "page": page,
        "categories_shown": list(item_filter.categories),
        "filtered": item_filter.narrows,
        "ordering": "newest first" if ordering == "newest" else SORT_LABELS[SortOrder(sort)],
        "facets": facets_count(item_filter=item_filter),
    }, 200


def _search(
    params: QueryDict, image: UploadedFile | str | None, *, echo_image: bool
) -> tuple[dict[str, Any], int]:
    try:
        # The public page shows active items only, to everyone.
        query = query_from_params(params, image=image, refuse_unknown=False)
    except ValidationError as exc:
        return {"state": "error", "errors": _error_messages(exc.detail)}, 400
    try:
        results = item_search(query=query)
    except UnknownItem as exc:
        raise Http404("No such item") from exc
    similar_to = None
    if query.item_id is not None:
        similar_to = selectors.item_get(item_id=query.item_id)
    first = (results.page - 1) * results.k + 1
    described = [f"“{query.text}”"] if query.text else []
    if query.image is not None:
        described.append("your image")
    if similar_to is not None:
        described.append(f"items like “{similar_to.title}”")
    return {
        "state": "results",
        "query": query,
        "results": results,
        "similar_to": similar_to,
        "description": " + ".join(described) or "this search",
        "fell_back": results.mode != query.mode,
        "first": first,
        "last": first + len(results.hits) - 1,
        "pages": max(1, math.ceil(results.total / results.k)),
        "image_data": _data_url(query) if echo_image else "",
        "did_you_mean_query": _respelled_query(params, results.did_you_mean),
        "facets": results.facets,
    }, 200


@require_http_methods(["GET", "HEAD", "POST"])
@search_reads()  # public pages: read from a replica when there are some
def search(request: HttpRequest) -> HttpResponse:
    fragment = request.headers.get(FRAGMENT_HEADER) == FRAGMENT_VALUE
    image: UploadedFile | str | None = None
    if request.method == "POST":
        params = _page_params(request.POST)
        image = request.FILES.get("image")
        image_data = params.get("image_data", "").strip()
        if image is None and image_data.startswith("data:"):
            image = image_data  # only data URLs: the page never makes the server fetch a URL
        if image is None and not fragment:
            query = _shareable_query(params)
            return HttpResponseRedirect(
                reverse("home") + (f"?{query}" if query else ""), status=303
            )
    else:
        params = _page_params(request.GET)
    has_query = any(params.get(name, "").strip() for name in ("q", "item_id")) or bool(image)
    if has_query:
        echo_image = request.method == "POST" and not fragment
        context, status = _search(params, image, echo_image=echo_image)
        if status == 200:
            context["search_id"] = search_report(
                search, query=context["query"], results=context["results"], source="ui",
                session_key=request.session.session_key,
            )  # fmt: skip
    else:
        context, status = _browse(params)
    context["via_post"] = request.method == "POST"
    context["sidebar"] = _sidebar(context.get("facets"), params)
    template = "catalog/_results.html"
    if not fragment:
        template = "catalog/search.html"
        context["form"] = _form_values(params)
        context["modes"] = [(mode.value, label) for mode, label in MODE_LABELS.items()]
        context["sorts"] = [(order.value, label) for order, label in SORT_LABELS.items()]
    response = render(request, template, context, status=status)
    patch_vary_headers(response, [FRAGMENT_HEADER])
    return response


def _attribute_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_attribute_text(entry) for entry in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_attribute_text(entry)}" for key, entry in value.items())
    return str(value)


@search_reads()
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.item_get(item_id=item_id)
    if item is None:
        raise Http404("No such item")
    similar = item_search(
        # A strip of the nearest items, always as many: no relevance cutoff, no facets.
        query=SearchQuery(
            item_id=item.pk, mode=SearchMode.SEMANTIC, k=SIMILAR_ITEMS, cutoff=0, facets=False
        )
    )
    attributes = item.attributes if isinstance(item.attributes, dict) else {}
    return render(
        request,
        "catalog/item_detail.html",
        {
            "item": item,
            "attributes": [(key, _attribute_text(value)) for key, value in attributes.items()],
            "similar_hits": [hit for hit in similar.hits if hit.item.pk != item.pk],
            "similar": similar,
        },
    )
