"""Judged sets as files: JSONL, one query a line
(``{"query": "...", "kind": "...", "relevant": {"<external_id>": 3}, "filters": {...},
"image": "<path or data URL>"}``), and CSV rows ``query,kind,external_id,grade`` (one row per
judgement; consecutive rows of one query and kind make one query). Parsing only: nothing
here touches the database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from relevance.models import QueryKind

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("query", "kind", "external_id", "grade")
FILTER_KEYS = ("categories", "price_min", "price_max", "attributes")


class JudgedSetFileError(Exception):
    """The file cannot be read as a judged set; `problems` lists every reason (with lines)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class JudgedQueryData:
    text: str
    kind: str
    relevant: dict[str, int]  # external id -> grade 0-3
    filters: dict[str, Any] = field(default_factory=dict)
    image: str = ""  # a path (relative to the images folder) or a data URL
    line: int = 0  # where the query starts in its file (0: not from a file)


def judged_set_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"jsonl", "ndjson"}:
        return "jsonl"
    if suffix == "csv":
        return "csv"
    raise JudgedSetFileError([f"{path.name}: expected a .jsonl or .csv file"])


def judged_queries_parse(*, content: str, format: str) -> list[JudgedQueryData]:
    if format == "jsonl":
        return _from_jsonl(content)
    if format == "csv":
        return _from_csv(content)
    raise JudgedSetFileError([f"unknown format {format!r} (one of {', '.join(FORMATS)})"])


def filters_problem(filters: Any) -> str | None:
    """Why `filters` is not a search filter this project understands, or None."""
    if not isinstance(filters, dict):
        return "filters must be a JSON object"
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        return f"unknown filter {', '.join(unknown)} (known: {', '.join(FILTER_KEYS)})"
    categories = filters.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        return "filters.categories must be a list of strings"
    for bound in ("price_min", "price_max"):
        if filters.get(bound) is not None:
            try:
                if not Decimal(str(filters[bound])).is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                return f"filters.{bound} must be a number"
    attributes = filters.get("attributes", {})
    if not isinstance(attributes, dict) or not all(
        isinstance(value, str) for value in attributes.values()
    ):
        return "filters.attributes must be an object of strings"
    return None


def _grade(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and 0 <= value <= 3 else None


def _checked(data: JudgedQueryData, problems: list[str]) -> JudgedQueryData | None:
    where = f"line {data.line}"
    before = len(problems)
    if not data.text.strip() and not data.image:
        problems.append(f"{where}: a query needs text or an image")
    if data.kind not in QueryKind.values:
        problems.append(f"{where}: unknown kind {data.kind!r} (one of {', '.join(QueryKind)})")
    if not data.relevant:
        problems.append(f"{where}: no judged items")
    problem = filters_problem(data.filters)
    if problem:
        problems.append(f"{where}: {problem}")
    return data if len(problems) == before else None


def _from_jsonl(content: str) -> list[JudgedQueryData]:
    queries: list[JudgedQueryData] = []
    problems: list[str] = []
    for line, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"line {line}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {line}: expected a JSON object")
            continue
        unknown = sorted(set(record) - {"query", "kind", "relevant", "filters", "image"})
        if unknown:
            problems.append(f"line {line}: unknown field {', '.join(unknown)}")
            continue
        text, relevant, image = record.get("query", ""), record.get("relevant"), record.get("image")
        if not isinstance(text, str) or not isinstance(relevant, dict):
            problems.append(f'line {line}: "query" must be text and "relevant" an object')
            continue
        if image is not None and not isinstance(image, str):
            problems.append(f'line {line}: "image" must be a path or a data URL')
            continue
        grades = {str(key): _grade(value) for key, value in relevant.items()}
        bad = [key for key, grade in grades.items() if grade is None]
        if bad:
            problems.append(f"line {line}: grades must be 0-3 (for {', '.join(bad)})")
            continue
        checked = _checked(
            JudgedQueryData(
                text=text.strip(),
                kind=str(record.get("kind", QueryKind.OTHER)),
                relevant={key: grade for key, grade in grades.items() if grade is not None},
                filters=record.get("filters") or {},
                image=image or "",
                line=line,
            ),
            problems,
        )
        if checked is not None:
            queries.append(checked)
    if problems:
        raise JudgedSetFileError(problems)
    return queries


def _from_csv(content: str) -> list[JudgedQueryData]:
    reader = csv.reader(io.StringIO(content))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if tuple(header) != CSV_COLUMNS:
        raise JudgedSetFileError([f"line 1: expected the header {','.join(CSV_COLUMNS)}"])
    problems: list[str] = []
    grouped: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_COLUMNS):
            problems.append(f"line {line}: expected {len(CSV_COLUMNS)} columns, found {len(row)}")
            continue
        text, kind, external_id, grade_text = (cell.strip() for cell in row)
        grade = _grade(grade_text)
        if grade is None or not external_id:
            problems.append(f"line {line}: needs an external_id and a grade 0-3")
            continue
        start, relevant = grouped.setdefault((text, kind), (line, {}))
        relevant[external_id] = grade
    queries = [
        _checked(JudgedQueryData(text=text, kind=kind, relevant=relevant, line=start), problems)
        for (text, kind), (start, relevant) in grouped.items()
    ]
    if problems:
        raise JudgedSetFileError(problems)
    return [query for query in queries if query is not None]


def judged_queries_to_jsonl(queries: Iterable[JudgedQueryData]) -> str:
    lines = []
    for query in queries:
        record: dict[str, Any] = {"query": query.text, "kind": query.kind}
        if query.filters:
            record["filters"] = query.filters
        if query.image:
            record["image"] = query.image
        record["relevant"] = query.relevant
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(f"{line}\n" for line in lines)
