"""One filter over items, one compiler: vector search, the planner estimate, lexical search,
the browse page and the item list API all narrow items with an `ItemFilter` compiled here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from catalog.models import Item


@dataclass(frozen=True)
class ItemFilter:
    categories: tuple[str, ...] = ()
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    # Attribute equality, e.g. (("color", "red"), ("color", "blue"), ("size", "L")): values of
    # one key are alternatives (red or blue), keys must all match (and size L).
    attributes: tuple[tuple[str, str], ...] = ()
    external_id: str | None = None
    include_inactive: bool = False
    exclude_item_id: int | None = None  # "more like this" leaves the item itself out

    @property
    def narrows(self) -> bool:
        """Whether the filter keeps fewer items than "every active item" (beyond the one
        item left out): what decides whether an exact scan may pay."""
        return bool(
            self.categories
            or self.price_min is not None
            or self.price_max is not None
            or self.attributes
            or self.external_id is not None
        )

    def attribute_values(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for key, value in self.attributes:
            values.setdefault(key, [])
            if value not in values[key]:
                values[key].append(value)
        return values

    def where_sql(self, alias: str = "i") -> tuple[str, list[Any]]:
        """The filter as a SQL boolean expression over the item table under ``alias``, and its
        parameters. Only the alias (an identifier chosen by the caller) is formatted in."""
        if not alias.isidentifier():
            raise ValueError(f"not an SQL alias: {alias!r}")
        clauses: list[str] = ["true"]
        params: list[Any] = []
        if not self.include_inactive:
            clauses.append(f"{alias}.is_active")
        if self.categories:
            clauses.append(f"{alias}.category = ANY(%s)")
            params.append(list(self.categories))
        if self.price_min is not None:
            clauses.append(f"{alias}.price >= %s")
            params.append(self.price_min)
        if self.price_max is not None:
            clauses.append(f"{alias}.price <= %s")
            params.append(self.price_max)
        for key, values in self.attribute_values().items():
            clauses.append(
                "(" + " OR ".join([f"{alias}.attributes @> %s::jsonb"] * len(values)) + ")"
            )
            params.extend(json.dumps({key: value}) for value in values)
        if self.external_id is not None:
            clauses.append(f"{alias}.external_id = %s")
            params.append(self.external_id)
        if self.exclude_item_id is not None:
            clauses.append(f"{alias}.id <> %s")
            params.append(self.exclude_item_id)
        return " AND ".join(clauses), params

    def apply(self, queryset: QuerySet[Item]) -> QuerySet[Item]:
        """The same filter on an ORM queryset of items (compiled by `where_sql`)."""
        table = Item._meta.db_table
        sql, params = self.where_sql(alias=table)
        if sql == "true":
            return queryset
        # Only the table name is formatted into the SQL; every value is a parameter.
        return queryset.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611
