from django.urls import path

from analytics.api.views import SearchEventApi

urlpatterns = [
    path("analytics/events/", SearchEventApi.as_view(), name="api-analytics-events"),
]
