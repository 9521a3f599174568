"""Curation's writes and checks: synonym groups and query rules are validated here (the
model's ``clean``, the admin and the API all use these) and saved through the services."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from catalog.filters import ItemFilter
from catalog.models import Item
from search.models import QueryRule, SynonymGroup
from search.query import SearchQuery, query_normalise
from search.types import SearchHit, SearchResults

MAX_TERMS = 50
BOOST_TARGETS = ("item", "category", "attribute")


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(entry, str) for entry in value)


def synonym_group_problems(group: SynonymGroup) -> dict[str, str]:
    """What is wrong with a synonym group, by field (empty: nothing). Terms and source are
    normalised in place, as queries are."""
    problems: dict[str, str] = {}
    if not _is_text_list(group.terms):
        return {"terms": 'Terms are a list of texts, e.g. ["sofa", "couch"].'}
    terms = list(dict.fromkeys(query_normalise(term) for term in group.terms))
    terms = [term for term in terms if term]
    group.source = query_normalise(group.source or "")
    if any(len(term) > 200 for term in terms) or len(terms) > MAX_TERMS:
        problems["terms"] = f"At most {MAX_TERMS} terms of at most 200 characters each."
    if group.kind == SynonymGroup.Kind.TWO_WAY:
        if len(terms) < 2:
            problems["terms"] = "A two-way group needs at least two different terms."
        if group.source:
            problems["source"] = "Only a one-way group has a source term."
    else:
        if not group.source:
            problems["source"] = "A one-way group needs the term that expands."
        terms = [term for term in terms if term != group.source]
        if not terms:
            problems["terms"] = "A one-way group needs at least one replacement term."
    group.terms = terms
    return problems


def _unknown_items(external_ids: list[str]) -> list[str]:
    found = set(
        Item.objects.filter(external_id__in=external_ids).values_list("external_id", flat=True)
    )
    return [external_id for external_id in dict.fromkeys(external_ids) if external_id not in found]


def _pins_problem(pins: Any) -> tuple[str | None, list[str]]:
    if not isinstance(pins, list) or not all(
        isinstance(pin, dict)
        and set(pin) == {"item", "position"}
        and isinstance(pin["item"], str)
        and isinstance(pin["position"], int)
        and not isinstance(pin["position"], bool)
        and 1 <= pin["position"] <= 1000
        for pin in pins
    ):
        return 'Pins are a list like [{"item": "sku-1", "position": 1}] (positions 1-1000).', []
    return None, [pin["item"] for pin in pins]


def _boost_problem(boost: Any) -> str | None:
    if not isinstance(boost, dict) or "factor" not in boost:
        return 'Each boost is an object with a factor, e.g. {"category": "Lamps", "factor": 2}.'
    factor = boost["factor"]
    if isinstance(factor, bool) or not isinstance(factor, int | float):
        return "A boost's factor is a number."
    if not (math.isfinite(factor) and 0 < factor <= 1000):
        return "A boost's factor is above 0 (below 1 buries, above 1 boosts) and at most 1000."
    targets = [key for key in boost if key != "factor"]
    if len(targets) != 1 or targets[0] not in BOOST_TARGETS:
        return "Each boost names exactly one of item, category or attribute, and a factor."
    target = boost[targets[0]]
    if targets[0] == "attribute":
        if not (
            isinstance(target, dict)
            and len(target) == 1
            and all(isinstance(v, str) and isinstance(k, str) for k, v in target.items())
        ):
            return 'An attribute boost names one key and value, e.g. {"color": "red"}.'
    elif not isinstance(target, str) or not target:
        return f"A boost's {targets[0]} is a non-empty text."
    return None


def _filters_problem(filters: Any) -> str | None:
    from search.parse import SearchFiltersSerializer

    if not isinstance(filters, dict):
        return 'Filters are an object, e.g. {"category": ["Lamps"]}.'
    serializer = SearchFiltersSerializer(data=filters, context={"typed": True})
    if serializer.is_valid():
        return None
    return "; ".join(f"{key}: {value}" for key, value in serializer.errors.items())


def query_rule_problems(rule: QueryRule) -> dict[str, str]:
    """What is wrong with a query rule, by field (empty: nothing). The condition is
    normalised in place; unknown external ids are named."""
    problems: dict[str, str] = {}
    rule.condition = query_normalise(rule.condition or "")
    rule.replace_query = (rule.replace_query or "").strip()
    if not rule.condition:
        problems["condition"] = "Give the query words the rule is about."
    if not _is_text_list(rule.categories):
        problems["categories"] = 'Categories are a list of names, e.g. ["Lamps"].'
    if rule.starts_at and rule.ends_at and rule.starts_at >= rule.ends_at:
        problems["ends_at"] = "The rule must end after it starts."
    pins_problem, pinned = _pins_problem(rule.pins)
    if pins_problem:
        problems["pins"] = pins_problem
    if not _is_text_list(rule.hide):
        problems["hide"] = 'Hide is a list of external ids, e.g. ["sku-2"].'
    boosted: list[str] = []
    if not isinstance(rule.boosts, list):
        problems["boosts"] = 'Boosts are a list, e.g. [{"item": "sku-3", "factor": 2}].'
    else:
        for boost in rule.boosts:
            boost_problem = _boost_problem(boost)
            if boost_problem:
                problems["boosts"] = boost_problem
                break
            if "item" in boost:
                boosted.append(boost["item"])
    filters_problem = _filters_problem(rule.filters)
    if filters_problem:
        problems["filters"] = filters_problem
    for name, external_ids in (("pins", pinned), ("hide", rule.hide), ("boosts", boosted)):
        if name in problems or not external_ids:
            continue
        unknown = _unknown_items(external_ids)
        if unknown:
            problems[name] = "No item has the external id " + ", ".join(unknown) + "."
    if not problems and not (
        rule.pins or rule.hide or rule.boosts or rule.filters or rule.replace_query
    ):
        problems["pins"] = "A rule does something: pins, hides, boosts, filters or replaces."
    return problems


@transaction.atomic
def synonym_group_save(*, group: SynonymGroup) -> SynonymGroup:
    """Create or update a synonym group (validated first); searches see it at once."""
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def query_rule_save(*, rule: QueryRule) -> QueryRule:
    """Create or update a query rule (validated first); searches see it at once."""
    rule.full_clean()
    rule.save()
    return rule


def synonym_group_delete(*, group: SynonymGroup) -> None:
    group.delete()


def query_rule_delete(*, rule: QueryRule) -> None:
    rule.delete()


@dataclass(frozen=True)
class RulePreview:
    """A rule's condition searched as the shopper would, without and with the rule."""

    query: SearchQuery
    before: SearchResults
    after: SearchResults

    @property
    def rows(self) -> list[tuple[SearchHit | None, SearchHit | None]]:
        before, after = self.before.hits, self.after.hits
        size = max(len(before), len(after))
        return [
            (before[i] if i < len(before) else None, after[i] if i < len(after) else None)
            for i in range(size)
        ]


def query_rule_preview(*, rule: QueryRule, k: int = 10) -> RulePreview:
    """The live results of the rule's condition with the active rules, then with this
    (unsaved) rule in place of its saved version; nothing is written."""
    from search.rewrite import curation_load
    from search.service import item_search

    query = SearchQuery(
        text=rule.condition,
        item_filter=ItemFilter(categories=tuple(rule.categories[:1])),
        k=k,
        facets=False,
    )
    others = QueryRule.objects.filter(is_active=True).exclude(pk=rule.pk)
    rules = sorted([*others, rule], key=lambda each: (each.position, each.pk or 0))
    return RulePreview(
        query=query,
        before=item_search(query=query),
        after=item_search(query=query, curation=curation_load(rules=rules)),
    )
