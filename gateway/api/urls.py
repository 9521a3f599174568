from django.urls import path
from drf_spectacular.views import SpectacularSwaggerView

from gateway.api.openai import EmbeddingsApi, ModelsApi
from gateway.api.schema import GatewaySchemaApi
from gateway.api.voyage import MultimodalEmbeddingsApi

urlpatterns = [
    path("embeddings", EmbeddingsApi.as_view(), name="gateway-embeddings"),
    path("multimodalembeddings", MultimodalEmbeddingsApi.as_view(), name="gateway-multimodal"),
    path("models", ModelsApi.as_view(), name="gateway-models"),
    path("schema/", GatewaySchemaApi.as_view(), name="gateway-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="gateway-schema"), name="gateway-docs"),
]
