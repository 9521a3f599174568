"""Imports go one way: catalog <- embeddings <- search <- relevance / analytics; the shared
infrastructure in searchapp/ imports none of the layers (urls.py and the Celery wiring
excepted). Checked on the source, so a stray import fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["catalog", "embeddings", "search", "relevance", "analytics", "quality", "gateway"]
# What each package may not import.
FORBIDDEN = {
    "catalog": {"embeddings", "search", "relevance", "analytics", "quality", "gateway"},
    "embeddings": {"search", "relevance", "analytics", "quality", "gateway"},
    "search": {"relevance", "analytics", "quality", "gateway"},
    "searchapp": set(LAYERS),
}
WIRING = {"searchapp/urls.py", "searchapp/api_urls.py", "searchapp/celery.py",
          "searchapp/settings.py"}  # fmt: skip


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and str(path.relative_to(ROOT)) not in WIRING
    }
    assert {path: names for path, names in wrong.items() if names} == {}
