from django.urls import path

from search.api.views import FacetsApi, SearchApi, SimilarItemsApi, SuggestApi

urlpatterns = [
    path("search/", SearchApi.as_view(), name="api-search"),
    path("facets/", FacetsApi.as_view(), name="api-facets"),
    path("suggest/", SuggestApi.as_view(), name="api-suggest"),
    path("items/<int:item_id>/similar/", SimilarItemsApi.as_view(), name="api-item-similar"),
]
