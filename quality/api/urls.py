from django.urls import path

from quality.api.views import FindingListApi

urlpatterns = [
    path("quality/findings/", FindingListApi.as_view(), name="api-quality-findings"),
]
