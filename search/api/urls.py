from django.urls import path

from search.api.views import SearchApi, SimilarItemsApi

urlpatterns = [
    path("search/", SearchApi.as_view(), name="api-search"),
    path("items/<int:item_id>/similar/", SimilarItemsApi.as_view(), name="api-item-similar"),
]
