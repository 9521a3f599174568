"""Synonym groups in and out as text: the Solr synonyms.txt format ("a, b, c" two-way lines,
"x => y, z" one-way lines, "#" comments) and CSV (kind, source, terms, expand_semantic,
is_active; terms separated by commas inside their cell)."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from search.curation import synonym_group_save
from search.models import SynonymGroup

CSV_COLUMNS = ["kind", "source", "terms", "expand_semantic", "is_active"]


class SynonymFormat(enum.StrEnum):
    SOLR = "solr"
    CSV = "csv"


@dataclass
class SynonymImport:
    created: int = 0
    problems: list[str] = field(default_factory=list)  # "line 3: ..."


def _split(terms: str) -> list[str]:
    return [term.strip() for term in terms.split(",") if term.strip()]


def _solr_groups(text: str) -> Iterable[tuple[int, list[SynonymGroup]]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            sources, terms = line.split("=>", 1)
            yield (
                number,
                [
                    SynonymGroup(kind=SynonymGroup.Kind.ONE_WAY, source=source, terms=_split(terms))
                    for source in _split(sources) or [""]
                ],
            )
        else:
            yield number, [SynonymGroup(kind=SynonymGroup.Kind.TWO_WAY, terms=_split(line))]


def _flag(value: str, default: bool) -> bool:
    value = value.strip().lower()
    return default if not value else value in {"1", "true", "yes", "y"}


def _csv_groups(text: str) -> Iterable[tuple[int, list[SynonymGroup]]]:
    rows = csv.DictReader(io.StringIO(text))
    missing = {"kind", "terms"} - set(rows.fieldnames or [])
    if missing:
        raise ValueError("The CSV needs a header with at least kind and terms columns.")
    for number, row in enumerate(rows, start=2):
        kind = (row.get("kind") or "").strip() or SynonymGroup.Kind.TWO_WAY
        yield (
            number,
            [
                SynonymGroup(
                    kind=kind,
                    source=row.get("source") or "",
                    terms=_split(row.get("terms") or ""),
                    expand_semantic=_flag(row.get("expand_semantic") or "", False),
                    is_active=_flag(row.get("is_active") or "", True),
                )
            ],
        )


def synonyms_import(*, text: str, fmt: SynonymFormat) -> SynonymImport:
    """Create a group per line (a Solr line with several sources, one per source); a line
    that is wrong is reported by number and the others are still created."""
    report = SynonymImport()
    try:
        parsed = list(_solr_groups(text) if fmt == SynonymFormat.SOLR else _csv_groups(text))
    except (ValueError, csv.Error) as exc:
        report.problems.append(str(exc))
        return report
    for number, groups in parsed:
        for group in groups:
            if group.kind not in SynonymGroup.Kind.values:
                report.problems.append(f"line {number}: kind is two_way or one_way.")
                continue
            try:
                synonym_group_save(group=group)
            except ValidationError as exc:
                report.problems.append(f"line {number}: " + " ".join(exc.messages))
            else:
                report.created += 1
    return report


def synonyms_export(groups: Iterable[SynonymGroup], *, fmt: SynonymFormat) -> str:
    if fmt == SynonymFormat.SOLR:
        lines = ["# synonym groups exported from searchapp"]
        lines.extend(
            f"{group.source} => {', '.join(group.terms)}"
            if group.kind == SynonymGroup.Kind.ONE_WAY
            else ", ".join(group.terms)
            for group in groups
            if group.is_active
        )
        return "\n".join(lines) + "\n"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        writer.writerow([group.kind, group.source, ", ".join(group.terms),
                         str(group.expand_semantic).lower(), str(group.is_active).lower()])  # fmt: skip
    return out.getvalue()
