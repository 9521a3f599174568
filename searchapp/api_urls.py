from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from searchapp.views import HealthApi, SchemaApi, TokenApi

urlpatterns = [
    path("", include("search.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("embeddings.api.urls")),
    path("", include("quality.api.urls")),
    path("", include("analytics.api.urls")),
    path("health/", HealthApi.as_view(), name="api-health"),
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("schema/", SchemaApi.as_view(), name="api-schema"),
    # The split view loads its setup script from a URL: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
