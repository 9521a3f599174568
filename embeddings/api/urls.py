from django.urls import path

from embeddings.api.views import SpaceListApi

urlpatterns = [
    path("spaces/", SpaceListApi.as_view(), name="api-space-list"),
]
