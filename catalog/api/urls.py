from django.urls import path

from catalog.api.views import ItemDetailApi, ItemImageDetailApi, ItemImageListApi, ItemListApi

urlpatterns = [
    path("items/", ItemListApi.as_view(), name="api-item-list"),
    path("items/<int:item_id>/", ItemDetailApi.as_view(), name="api-item-detail"),
    path("items/<int:item_id>/images/", ItemImageListApi.as_view(), name="api-item-images"),
    path(
        "items/<int:item_id>/images/<int:image_id>/",
        ItemImageDetailApi.as_view(),
        name="api-item-image-detail",
    ),
]
