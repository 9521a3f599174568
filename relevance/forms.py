from __future__ import annotations

from django import forms

from relevance.models import QueryKind
from relevance.runner import MODES


class JudgedSetImportForm(forms.Form):
    file = forms.FileField(
        help_text="JSONL (one query a line) or CSV (query,kind,external_id,grade)."
    )
    name = forms.CharField(
        max_length=100, label="Judged set", help_text="New or existing (its queries are replaced)."
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EvaluationForm(forms.Form):
    modes = forms.MultipleChoiceField(
        choices=[(mode, mode) for mode in MODES],
        initial=["hybrid"],
        widget=forms.CheckboxSelectMultiple,
    )
    profiles = forms.CharField(
        required=False, help_text="Search profiles by name, separated by commas (empty: default)."
    )
    kind = forms.ChoiceField(required=False, choices=[("", "every kind"), *QueryKind.choices])
    compare = forms.BooleanField(required=False, help_text="Per-query difference of the first two.")

    def profile_names(self) -> list[str | None]:
        names = [name.strip() for name in self.cleaned_data["profiles"].split(",") if name.strip()]
        return list(names) or [None]


class GradeForm(forms.Form):
    item = forms.IntegerField(min_value=1)
    grade = forms.IntegerField(min_value=-1, max_value=3, help_text="-1 removes the judgement.")
