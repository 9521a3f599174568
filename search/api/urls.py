from django.urls import path

from search.api.curation import RuleDetailApi, RuleListApi, SynonymDetailApi, SynonymListApi
from search.api.views import FacetsApi, SearchApi, SimilarItemsApi, SuggestApi

urlpatterns = [
    path("search/", SearchApi.as_view(), name="api-search"),
    path("facets/", FacetsApi.as_view(), name="api-facets"),
    path("suggest/", SuggestApi.as_view(), name="api-suggest"),
    path("items/<int:item_id>/similar/", SimilarItemsApi.as_view(), name="api-item-similar"),
    path("synonyms/", SynonymListApi.as_view(), name="api-synonyms"),
    path("synonyms/<int:pk>/", SynonymDetailApi.as_view(), name="api-synonym"),
    path("rules/", RuleListApi.as_view(), name="api-rules"),
    path("rules/<int:pk>/", RuleDetailApi.as_view(), name="api-rule"),
]
