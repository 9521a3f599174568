"""Search profiles: the active one (read by every search), new versions, activation."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from search.fuse import FusionMethod, FusionProfile
from search.models import SearchProfile


def profile_default() -> FusionProfile:
    """What fuses when no profile is active: the settings' method and weights."""
    return FusionProfile(
        method=FusionMethod(settings.SEARCHAPP_FUSION_METHOD),
        weights=dict(settings.SEARCHAPP_FUSION_WEIGHTS),
        rrf_k=settings.SEARCHAPP_RRF_K,
        label="default (settings)",
    )


def profile_active() -> FusionProfile:
    active = SearchProfile.objects.filter(is_active=True).first()
    return active.fusion() if active is not None else profile_default()


def profile_version_create(
    *,
    name: str = "default",
    method: FusionMethod | str = FusionMethod.RRF,
    weights: Mapping[str, float] | None = None,
    rrf_k: int | None = None,
    min_score_ratio: float | None = None,
    notes: str = "",
    activate: bool = False,
) -> SearchProfile:
    """A new version of the named profile (versions are never edited in place)."""
    with transaction.atomic():
        latest = SearchProfile.objects.select_for_update().filter(name=name)
        version = (latest.aggregate(Max("version"))["version__max"] or 0) + 1
        profile = SearchProfile(
            name=name,
            version=version,
            method=FusionMethod(method).value,
            weights={key: float(value) for key, value in (weights or {}).items()},
            rrf_k=rrf_k if rrf_k is not None else settings.SEARCHAPP_RRF_K,
            min_score_ratio=min_score_ratio,
            notes=notes,
        )
        profile.full_clean()
        profile.save()
        if activate:
            profile_activate(profile=profile)
    return profile


def profile_activate(*, profile: SearchProfile) -> SearchProfile:
    """Make this version the one searches use (activating an older one is the rollback)."""
    with transaction.atomic():
        SearchProfile.objects.filter(is_active=True).exclude(pk=profile.pk).update(is_active=False)
        SearchProfile.objects.filter(pk=profile.pk).update(is_active=True)
    profile.refresh_from_db()
    return profile


def profile_deactivate_all() -> None:
    """Back to the settings' defaults."""
    SearchProfile.objects.filter(is_active=True).update(is_active=False)


class UnknownProfile(LookupError):
    pass


def profile_named(label: str) -> FusionProfile:
    """A profile by what a person types: ``default`` (the settings' fusion), ``active``,
    ``NAME`` (its active version, else its newest) or ``NAME@vN`` / ``NAME@N``."""
    if label == "default":
        return profile_default()
    if label == "active":
        return profile_active()
    name, _, version = label.partition("@")
    versions = SearchProfile.objects.filter(name=name)
    if version:
        number = version.removeprefix("v")
        if not number.isdigit():
            raise UnknownProfile(f"{label!r}: a version is NAME@vN, e.g. default@v2")
        versions = versions.filter(version=int(number))
    found = versions.order_by("-is_active", "-version").first()
    if found is None:
        known = sorted({str(p) for p in SearchProfile.objects.all()[:20]})
        raise UnknownProfile(
            f"no search profile {label!r}; known: default, active"
            + "".join(f", {name}" for name in known)
        )
    return found.fusion()
