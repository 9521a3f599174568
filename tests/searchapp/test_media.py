"""Uploaded images at their URLs: who may see them (an inactive item's only curators), and
the media folder a deleted item leaves behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage
from django.test import Client

from catalog import services
from catalog.images import image_from_bytes
from catalog.models import Item
from searchapp.media import remove_empty_folders
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def item() -> Item:
    return services.item_create(
        external_id="media-1", title="Media mug", images=[image_from_bytes(make_image_bytes())]
    )


def image_url(item: Item) -> str:
    return str(item.images.get().image.url)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_active_items_images_are_public(item: Item) -> None:
    response = Client().get(image_url(item))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize("who", ["anonymous", "signed-in shopper", "staff without item rights"])
def test_an_inactive_items_images_are_a_404_for_all_but_curators(item: Item, who: str) -> None:
    url = image_url(item)
    services.item_update(item=item, is_active=False)
    client = Client()
    if who == "signed-in shopper":
        client = signed_in(User.objects.create_user("shopper"))
    elif who == "staff without item rights":
        staff = User.objects.create_user("viewer", is_staff=True)
        staff.user_permissions.set(Permission.objects.filter(codename="view_item"))
        client = signed_in(staff)
    response = client.get(url)
    assert response.status_code == 404
    # The same answer as for an image that does not exist.
    assert client.get(url.replace(".png", "0.png")).status_code == 404


def test_curators_and_superusers_still_see_an_inactive_items_images(
    item: Item, curator: User
) -> None:
    url = image_url(item)
    services.item_update(item=item, is_active=False)
    for user in (curator, User.objects.create_superuser("boss", "", "boss-pass-123")):
        response = signed_in(user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "private, no-cache"  # never in a shared cache
    # Made active again, anyone sees them.
    services.item_update(item=item, is_active=True)
    assert Client().get(url).status_code == 200


def test_the_admin_previews_an_inactive_items_images(item: Item, curator: User) -> None:
    services.item_update(item=item, is_active=False)
    client = signed_in(curator)
    page = client.get("/admin/catalog/item/")
    assert page.status_code == 200
    url = image_url(item)
    assert url in page.content.decode()
    assert client.get(url).status_code == 200


def test_an_image_answer_costs_one_indexed_lookup(
    item: Item, django_assert_num_queries: Any
) -> None:
    url = image_url(item)
    client = Client()
    with django_assert_num_queries(1) as captured:
        assert client.get(url).status_code == 200
    assert '"catalog_item"."id" =' in captured.captured_queries[0]["sql"]
    services.item_update(item=item, is_active=False)
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 404


def test_only_item_and_judged_query_images_are_served(item: Item, settings: Any) -> None:
    stray = Path(settings.MEDIA_ROOT) / "elsewhere" / "stray.png"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(make_image_bytes())
    assert Client().get("/media/elsewhere/stray.png").status_code == 404
    assert Client().get(f"/media/items/{item.pk}/../{item.pk}/x.png").status_code == 404


def test_judged_query_images_are_for_those_who_may_view_judged_queries(
    settings: Any, curator: User
) -> None:
    picture = Path(settings.MEDIA_ROOT) / "relevance" / "queries" / "query.png"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(make_image_bytes())
    url = "/media/relevance/queries/query.png"
    assert Client().get(url).status_code == 404
    assert signed_in(curator).get(url).status_code == 404
    judge = User.objects.create_user("judge", is_staff=True)
    judge.user_permissions.set(Permission.objects.filter(codename="view_judgedquery"))
    response = signed_in(judge).get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"


# --- the folder of a deleted item -------------------------------------------------------------


def test_deleting_an_item_removes_its_media_folder(
    item: Item, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.item_image_add(item=item, image=image_from_bytes(make_image_bytes(color=(9, 9, 9))))
    folder = Path(settings.MEDIA_ROOT) / "items" / str(item.pk)
    assert len(list(folder.iterdir())) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.item_delete(item=item)
    assert not folder.exists()
    assert (Path(settings.MEDIA_ROOT) / "items").is_dir()  # the other items' folder stays


def test_deleting_an_item_through_the_api_leaves_no_folder(
    item: Item, settings: Any, curator_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    folder = Path(settings.MEDIA_ROOT) / "items" / str(item.pk)
    assert folder.is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        assert curator_client.delete(f"/api/v1/items/{item.pk}/").status_code == 204
    assert not folder.exists()


def test_a_folder_that_still_holds_a_file_is_kept(
    item: Item, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    folder = Path(settings.MEDIA_ROOT) / "items" / str(item.pk)
    (folder / "notes.txt").write_text("put here by hand")
    with django_capture_on_commit_callbacks(execute=True):
        services.item_delete(item=item)
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]


def test_storages_without_folders_are_left_alone(tmp_path: Path) -> None:
    memory = InMemoryStorage()
    name = memory.save("items/7/a.png", ContentFile(b"x"))
    memory.delete(name)
    remove_empty_folders([name], storage=memory)  # nothing to do, and no error
    disk = FileSystemStorage(location=tmp_path)
    kept = disk.save("items/8/a.png", ContentFile(b"x"))
    disk.delete(kept)
    remove_empty_folders([kept, "top-level.png"], storage=disk)
    assert not (tmp_path / "items" / "8").exists() and (tmp_path / "items").is_dir()
