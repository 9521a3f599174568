from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from analytics.selectors import Bucket, Window

DAYS = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "a year")]


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(choices=DAYS, coerce=int, initial=30, label="Last")
    by = forms.ChoiceField(choices=[("day", "per day"), ("week", "per week")], initial="day")

    def window(self) -> Window:
        """The last N days up to the end of today (UTC), as whole days."""
        days = self.cleaned_data["days"] if self.is_valid() else self.fields["days"].initial
        end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        end += timedelta(days=1)
        return Window(since=end - timedelta(days=days), until=end)

    def bucket(self) -> Bucket:
        return "week" if self.is_valid() and self.cleaned_data["by"] == "week" else "day"
