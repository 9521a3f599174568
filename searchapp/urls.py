from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from search import views as search_views
from searchapp.media import media

# Under /api/ an unknown URL or an unexpected failure is JSON too; pages stay HTML.
handler400 = "searchapp.views.bad_request"
handler404 = "searchapp.views.page_not_found"
handler500 = "searchapp.views.server_error"

urlpatterns = [
    path("", search_views.search, name="home"),
    path("items/<int:item_id>/", search_views.item_detail, name="item-detail"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("searchapp.api_urls")),
    path("embeddings/v1/", include("gateway.api.urls")),
]

if settings.SEARCHAPP_SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.*)$", media, name="media"))
