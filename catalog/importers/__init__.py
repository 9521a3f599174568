"""Catalog import: read a catalog file, normalise its rows, write them through catalog.services.

Reading and writing are separate steps. A format reader (one module per format) turns a
file into rows: each either a normalised `RowData` or the reason the row could not be read.
`catalog_import` then writes row by row, each row in its own transaction, so one bad row
never rolls back the good ones, and a re-run after an interruption simply continues (rows
already stored come out "unchanged").

Decisions a catalog owner should know about:

- Idempotent on external_id. An existing item whose fields and images are unchanged is
  not written at all; rows go through `item_upsert`, which saves changed fields and adds
  images whose bytes are new to the item. Images are only ever added, never removed: an
  image the file no longer lists stays on the item.
- A row fails as a whole when one of its images cannot be read, fetched or validated:
  nothing is stored for it (no item without its image, no stray file). The reason names
  the image. (The oscar books catalog is the exception by design: a book without a cover
  file is imported without an image, because a missing cover is normal there.)
- Within one import (one file, or all files of a directory), the first row with an
  external_id owns it; a later row with the same external_id fails as a duplicate.
  Treating it as an update would make re-runs flip the item between the two rows.
- Local image paths are resolved inside the images folder (the file's folder, or
  `images_dir`) and may not leave it. Image URLs are fetched by the guarded fetcher
  (searchapp.urlfetch): http or https to public addresses only, capped in size and time;
  a refused or failed URL fails its row.
- Text must be valid UTF-8 without NUL characters (PostgreSQL stores neither); a row
  that breaks this fails with the column named.
"""

from catalog.importers.rows import ImportFileError, RowData, RowError
from catalog.importers.run import (
    FORMATS,
    ImportSummary,
    ParsedRow,
    RowFailure,
    catalog_format,
    catalog_import,
    catalog_rows,
)

__all__ = [
    "FORMATS",
    "ImportFileError",
    "ImportSummary",
    "ParsedRow",
    "RowData",
    "RowError",
    "RowFailure",
    "catalog_format",
    "catalog_import",
    "catalog_rows",
]
