"""Fixtures of the fault and load tests: deployments of their own (see stack.py)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.stack import Stack, start_stack, stop_stack
from tests.reliability.vendor import CONTROL_ENV


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
    return report


_failed = pytest.StashKey[bool]()


@pytest.fixture
def make_stack(request: pytest.FixtureRequest) -> Iterator[Callable[..., Stack]]:
    """Starts a deployment (PostgreSQL + Redis in a fresh temporary folder, migrated) with
    these providers and environment; stops its processes and servers afterwards.

    The folder is not under pytest's basetemp: run as root, PostgreSQL runs as another user
    that must traverse the folder's parents, and every pytest session on the machine resets
    pytest's root folder to mode 0700."""
    stacks: list[Stack] = []

    def make(providers: dict[str, Any], **env: str) -> Stack:
        root = Path(tempfile.mkdtemp(prefix="searchapp-stack-"))
        root.chmod(0o755)
        stack = Stack(root=root, providers=providers, env_extra=env)
        stacks.append(stack)
        start_stack(stack)
        return stack

    yield make
    for stack in stacks:
        stop_stack(stack)
        if request.node.stash.get(_failed, True):  # the processes' own words
            for log in sorted((stack.root / "logs").glob("*.log")):
                tail = log.read_text(errors="replace")[-6000:]
                sys.stdout.write(f"--- {log.name} (tail) ---\n{tail}\n")
        shutil.rmtree(stack.root, ignore_errors=True)


@pytest.fixture
def vendor_control(tmp_path: Path) -> Path:
    """The file that switches tests.reliability.vendor for every process (see vendor.py)."""
    control = tmp_path / "vendor-mode"
    control.write_text("ok")
    return control


def vendor_env(control: Path) -> dict[str, str]:
    return {CONTROL_ENV: str(control)}
