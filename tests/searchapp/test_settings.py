"""The settings module: defaults live there, and a bad value stops the start with its name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from searchapp.env import env_choice
from tests.conftest import REPO_ROOT

SCANS = ("relaxed_order", "strict_order", "off")


def test_a_choice_is_one_of_the_allowed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_SCAN", raising=False)
    assert env_choice("X_SCAN", "relaxed_order", SCANS) == "relaxed_order"
    monkeypatch.setenv("X_SCAN", " strict_order ")
    assert env_choice("X_SCAN", "relaxed_order", SCANS) == "strict_order"
    monkeypatch.setenv("X_SCAN", "relaxed")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_choice("X_SCAN", "relaxed_order", SCANS)
    assert str(refused.value) == "X_SCAN='relaxed' is not one of: relaxed_order, strict_order, off"


def load_settings(
    tmp_path: Path, *, show: str = "s.SEARCHAPP_HNSW_ITERATIVE_SCAN", **env: str
) -> subprocess.CompletedProcess[str]:
    """Import the settings module (as `s`) in a fresh process, pointed at servers it does not
    contact (reading settings connects to nothing), with everything else at its default, and
    print the expression `show`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SEARCHAPP_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    environment.update(
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none", REDIS_URL="redis://127.0.0.1:9/0",
        SEARCHAPP_SECRET_KEY="test", SEARCHAPP_DATA_DIR=str(tmp_path),
        SEARCHAPP_EMBEDDING_PROVIDERS="{}", **env,
    )  # fmt: skip
    code = f"import searchapp.settings as s; print({show})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=environment, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def test_an_unknown_iterative_scan_mode_stops_the_start(tmp_path: Path) -> None:
    result = load_settings(tmp_path, SEARCHAPP_HNSW_ITERATIVE_SCAN="relaxed")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SEARCHAPP_HNSW_ITERATIVE_SCAN='relaxed' is not one of: " \
        "relaxed_order, strict_order, off" in result.stderr  # fmt: skip
    default = load_settings(tmp_path)
    assert default.returncode == 0, default.stderr[-2000:]
    assert default.stdout.strip() == "relaxed_order"
