from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken

from searchapp.parsers import API_PARSERS
from searchapp.views import HealthApi

urlpatterns = [
    path("", include("catalog.api.urls")),
    path("", include("embeddings.api.urls")),
    path("health/", HealthApi.as_view(), name="api-health"),
    path("auth/token/", ObtainAuthToken.as_view(parser_classes=API_PARSERS), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
