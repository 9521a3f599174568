from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalog.importers.files import BLUE, RED, write_csv, write_image


@pytest.fixture
def catalog_csv(tmp_path: Path) -> Path:
    write_image(tmp_path, "img/mug.png", RED)
    write_image(tmp_path, "img/lamp.jpg", BLUE)
    return write_csv(
        tmp_path / "catalog.csv",
        [
            ["mug-1", " Red mug ", "A mug.", "Kitchen", "12.50", "img/mug.png"],
            ["lamp-1", "Desk lamp", "A lamp, \"bright\".\nTwo lines.", "Lighting", "40", "img/lamp.jpg"],
            ["note-1", "Notebook", "", "", "", ""],
        ],
    )  # fmt: skip
