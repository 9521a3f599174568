"""The search page and the item page, rendered by the server (no JavaScript)."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services
from catalog.models import Item, ItemImage
from embeddings import queue as embedding_queue
from embeddings import spaces as embedding_spaces
from embeddings.models import EmbeddingSpace
from searchapp.images import image_from_bytes
from tests.conftest import make_image_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_cutoff")]

RED = (200, 30, 30)
BLUE = (30, 40, 210)
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture(autouse=True)
def _no_worker_wake_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests embed in-process; nothing needs to wake a worker.
    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)


def _item(external_id: str, title: str, **fields: Any) -> Item:
    color = fields.pop("color", None)
    images = [image_from_bytes(make_image_bytes(color=color))] if color else []
    return services.item_create(external_id=external_id, title=title, images=images, **fields)


@pytest.fixture
def catalog(tiny_providers: dict[str, Any]) -> dict[str, Item]:
    items = {
        "kettle": _item("kettle", "Red kettle", category="Kitchen", price=Decimal("30"),
                        description="A red kettle for the stove.", color=RED,
                        attributes={"color": "red", "tags": ["steel", "stove"]}),
        "mug": _item("mug", "Blue mug", category="Kitchen", price=Decimal("12.50"),
                     description="A blue mug for coffee.", color=BLUE),
        "hose": _item("hose", "Garden hose", category="Garden", price=Decimal("45"),
                      description="A long green hose."),
        "hat": _item("hat", "Red wool hat", category="Apparel", price=Decimal("20"),
                     description="A red hat for cold days.", color=(190, 40, 40)),
    }  # fmt: skip
    for name, alias in (("clip", "tiny-clip"), ("minilm", "tiny-minilm")):
        space = embedding_spaces.space_create(name=name, provider_alias=alias, activate=True)
        embedding_queue.space_embed_pending(space=space)
    return items


def _page(response: Any) -> str:
    return str(response.content.decode())


def test_no_query_shows_the_catalog_newest_first_with_category_filter(client: Any) -> None:
    _item("a", "Red kettle", category="Kitchen", color=RED)
    _item("b", "Garden hose", category="Garden")
    response = client.get("/")
    page = _page(response)
    assert response.status_code == 200
    assert "2 items in the catalog" in page and 'alt="Red kettle"' in page
    assert page.index("Garden hose") < page.index("Red kettle")  # newest first
    assert '<form id="search-form"' in page and 'type="search"' in page and 'name="q"' in page
    assert 'type="file" id="search-image" name="image" accept="image/*"' in page
    assert 'name="category" value="Garden" form="search-form"' in page  # the filter sidebar
    assert 'aria-live="polite"' in page
    assert "csrfmiddlewaretoken" in page
    page = _page(client.get("/?category=Garden"))
    assert "Garden hose" in page and "Red kettle" not in page
    assert "1 item in the catalog, in Garden" in page


def test_browse_pages_through_the_catalog(client: Any) -> None:
    for number in range(26):
        _item(f"i{number}", f"Item number {number}")
    page = _page(client.get("/"))
    assert "26 items in the catalog" in page and "Page 1 of 2" in page
    assert 'href="?page=2"' in page and "Item number 25" in page and "Item number 1<" not in page
    page = _page(client.get("/?page=2"))
    assert "Item number 1<" in page and "Item number 0<" in page and 'href="?page=1"' in page


def test_empty_catalog_says_so(client: Any) -> None:
    assert "The catalog is empty" in _page(client.get("/"))


def test_lexical_search_renders_results_with_scores(client: Any, catalog: dict[str, Item]) -> None:
    response = client.get("/", {"q": "red", "mode": "lexical"})
    page = _page(response)
    assert response.status_code == 200
    assert "Red kettle" in page and "Red wool hat" in page
    assert "Blue mug" not in page and "Garden hose" not in page
    assert "2 results for “red”" in page
    assert "Answered by <strong>lexical</strong> search" in page
    assert "score 0." in page and "matched text" in page
    assert f'href="/items/{catalog["kettle"].pk}/"' in page
    assert 'value="red"' in page  # the form keeps the query
    assert '<option value="lexical" selected>' in page


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_semantic_and_hybrid_search_render_results(
    client: Any, catalog: dict[str, Item], mode: str
) -> None:
    page = _page(client.get("/", {"q": "red shoe", "mode": mode}))
    assert f"Answered by <strong>{mode}</strong> search using clip, minilm" in page
    assert "results for “red shoe”" in page
    # Vector search ranks every embedded item; the tiny models' order is noise.
    assert all(item.title in page for item in catalog.values())
    assert "Searched without" not in page


def test_filters_apply_to_search(client: Any, catalog: dict[str, Item]) -> None:
    page = _page(client.get("/", {"q": "red", "category": "Kitchen", "price_max": "40"}))
    assert "Red kettle" in page and "Red wool hat" not in page and "Garden hose" not in page
    assert 'name="category" value="Kitchen" form="search-form" checked' in page
    page = _page(client.get("/", {"q": "hose", "mode": "lexical", "category": "Kitchen"}))
    assert "0 results for “hose”" in page and "No items match “hose”" in page
    assert "Try fewer filters, another mode" in page


def test_search_falls_back_to_lexical_without_spaces(client: Any) -> None:
    _item("a", "Red kettle", category="Kitchen")
    page = _page(client.get("/", {"q": "kettle"}))
    assert "Red kettle" in page and "Answered by <strong>lexical</strong> search" in page
    assert "Semantic search is not available right now" in page
    assert "Searched without semantic:" in page


def test_image_search_by_upload(client: Any, catalog: dict[str, Item]) -> None:
    upload = SimpleUploadedFile("query.png", make_image_bytes(color=BLUE), "image/png")
    response = client.post("/", {"image": upload, "mode": "semantic"})
    page = _page(response)
    assert response.status_code == 200
    assert "results for your image" in page and "matched image" in page
    first_title = page.index('class="title"')
    assert page.index("Blue mug", first_title) < page.index("Red kettle", first_title)
    # Paging an image search resubmits the form; the image comes back as a data URL so
    # that a browser without JavaScript can page too. Nothing is stored.
    assert 'name="image_data" value="data:image/png;base64,' in page
    assert ItemImage.objects.count() == 3


def test_image_search_by_echoed_data_url(client: Any, catalog: dict[str, Item]) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(make_image_bytes(color=RED)).decode()
    page = _page(client.post("/", {"image_data": data_url, "q": "", "mode": "semantic"}))
    assert "results for your image" in page
    # Only data URLs: the page never makes the server fetch a URL.
    response = client.post("/", {"image_data": "http://127.0.0.1:9/x.png", "q": "mug"})
    assert response.status_code == 303 and response["Location"] == "/?q=mug"


def test_a_post_without_image_redirects_to_the_shareable_url(client: Any) -> None:
    response = client.post(
        "/", {"q": "red mug", "category": "Kitchen", "mode": "hybrid", "price_min": ""}
    )
    assert response.status_code == 303
    assert response["Location"] == "/?q=red+mug&category=Kitchen"


@pytest.mark.parametrize(
    ("request_data", "message"),
    [
        ({"q": "red", "price_min": "50", "price_max": "10"}, "Min price: price_min is greater"),
        ({"price_min": "50", "price_max": "10"}, "Min price: price_min is greater"),
        ({"q": "red", "mode": "fuzzy"}, "Mode: &quot;fuzzy&quot; is not a valid choice."),
        ({"item_id": "abc"}, "Item: A valid integer is required."),
    ],
)
def test_invalid_searches_show_the_error(
    client: Any, request_data: dict[str, str], message: str
) -> None:
    response = client.get("/", request_data)
    page = _page(response)
    assert response.status_code == 400
    assert 'role="alert"' in page and message in page
    assert '<form id="search-form"' in page  # the form is there to fix it


def test_a_file_that_is_not_an_image_is_refused(client: Any, catalog: dict[str, Item]) -> None:
    upload = SimpleUploadedFile("notes.png", b"just some text", "image/png")
    response = client.post("/", {"image": upload, "q": "red"})
    assert response.status_code == 400
    assert "Image: The file is not an image" in _page(response)


def test_the_fragment_holds_only_the_results(client: Any, catalog: dict[str, Item]) -> None:
    response = client.get("/", {"q": "red", "mode": "lexical"}, **FETCH)
    page = _page(response)
    assert response.status_code == 200 and "X-Requested-With" in response["Vary"]
    assert "<html" not in page and "search-form" not in page.replace('form="search-form"', "")
    assert 'id="results-body"' in page and "Red kettle" in page and "2 results for" in page
    response = client.get("/", {"q": "red", "price_min": "9", "price_max": "1"}, **FETCH)
    assert response.status_code == 400 and 'role="alert"' in _page(response)
    assert "<html" not in _page(response)
    # The script's multipart POST gets the fragment too (no redirect).
    upload = SimpleUploadedFile("q.png", make_image_bytes(color=RED), "image/png")
    response = client.post("/", {"image": upload}, **FETCH)
    page = _page(response)
    assert response.status_code == 200 and "<html" not in page and "matched image" in page
    assert "image_data" not in page  # the file input still holds the image
    # Paging an image search: buttons that resubmit the form.
    upload = SimpleUploadedFile("q.png", make_image_bytes(color=RED), "image/png")
    page = _page(client.post("/", {"image": upload, "q": "red", "mode": "lexical"}, **FETCH))
    assert "2 results for “red” + your image" in page


def test_more_like_this_on_the_search_page(client: Any, catalog: dict[str, Item]) -> None:
    kettle = catalog["kettle"]
    page = _page(client.get("/", {"item_id": kettle.pk}))
    assert "results for items like “Red kettle”" in page
    assert f'name="item_id" value="{kettle.pk}"' in page
    cards = page[page.index('id="results-body"') :]
    assert "Red kettle" not in cards and "Blue mug" in cards


def test_item_page_shows_details_and_similar_items(client: Any, catalog: dict[str, Item]) -> None:
    kettle = catalog["kettle"]
    page = _page(client.get(f"/items/{kettle.pk}/"))
    assert '<h1 id="item-title">Red kettle</h1>' in page
    assert 'alt="Red kettle, picture 1"' in page and "$30.00" in page
    assert "<dt>color</dt><dd>red</dd>" in page and "<dt>tags</dt><dd>steel, stove</dd>" in page
    similar = page[page.index('id="similar-heading"') :]
    assert "Blue mug" in similar and "Red wool hat" in similar and "Garden hose" in similar
    assert "Red kettle" not in similar and "score " in similar
    assert f'href="/?item_id={kettle.pk}"' in page
    assert client.get("/items/999999/").status_code == 404


def test_item_page_without_vectors_says_no_similar_items(client: Any) -> None:
    item = _item("a", "Red kettle", description="<script>alert(1)</script><b>Bold</b> & more")
    page = _page(client.get(f"/items/{item.pk}/"))
    assert "No similar items yet" in page
    assert "Searched without semantic: no active embedding space" in page
    # Descriptions may hold HTML: tags are stripped and the rest escaped, never trusted.
    assert "<script>" not in page and "<b>Bold" not in page and "Bold &amp; more" in page


def test_inactive_items_are_not_shown(client: Any, catalog: dict[str, Item]) -> None:
    services.item_update(item=catalog["hat"], is_active=False)
    assert "Red wool hat" not in _page(client.get("/", {"q": "red", "mode": "lexical"}))
    assert "Red wool hat" not in _page(client.get("/"))
    assert client.get(f"/items/{catalog['hat'].pk}/").status_code == 404
    assert EmbeddingSpace.objects.count() == 2
