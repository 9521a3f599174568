from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from searchapp.views import HealthApi, SchemaApi, TokenApi

urlpatterns = [
    path("", include("search.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("embeddings.api.urls")),
    path("", include("quality.api.urls")),
    path("health/", HealthApi.as_view(), name="api-health"),
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("schema/", SchemaApi.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
