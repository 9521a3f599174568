"""Server-rendered pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from catalog import selectors


def home(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category") or None
    items = selectors.item_list(filters=selectors.ItemFilters(category=category))
    page = Paginator(items, 24).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/home.html",
        {"page": page, "categories": selectors.item_categories(), "category": category},
    )


def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.item_get(item_id=item_id)
    if item is None:
        raise Http404("No such item")
    return render(request, "catalog/item_detail.html", {"item": item})
