"""searchapp.db.vector_cursor: the cursor the statements that carry vectors use."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from searchapp.db import vector_cursor

pytestmark = pytest.mark.django_db


def test_a_vector_goes_beside_the_statement_in_pgvectors_binary_format() -> None:
    vector: Any = np.array([0.25, 0.5, 1.0], dtype=np.float32)
    with vector_cursor(connection) as cursor:
        cursor.execute(
            "SELECT current_query(), pg_typeof(%s)::text, %s::vector(3) <=> '[1,2,4]'",
            [vector, vector],
        )
        row = cursor.fetchone()
    assert row is not None
    statement, type_name, distance = row
    # The server got placeholders, not the digits: nothing for it to lex and parse.
    assert "$1" in statement and "$2" in statement
    assert "0.25" not in statement
    assert type_name == "vector"
    assert distance == pytest.approx(0.0, abs=1e-6)
    # Django's own cursors bind on the client: the digits are in the statement there.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_query(), %s::vector", ["[0.25,0.5,1]"])
        assert "0.25" in cursor.fetchone()[0]


def test_its_errors_are_djangos_and_the_transaction_rolls_back() -> None:
    zeros: Any = np.zeros(3, np.float32)
    pair: Any = np.array([1.0, 2.0], np.float32)
    with transaction.atomic():
        with pytest.raises(ProgrammingError), vector_cursor(connection) as cursor:
            cursor.execute("SELECT * FROM no_such_table WHERE v = %s", [zeros])
        transaction.set_rollback(True)
    with vector_cursor(connection) as cursor:  # the connection is usable again
        cursor.execute("SELECT %s::vector(2)::text", [pair])
        assert cursor.fetchone() == ("[1,2]",)


def test_query_logging_sees_its_statements_as_the_server_gets_them() -> None:
    vector: Any = np.array([0.25, 0.5, 1.0], dtype=np.float32)
    with CaptureQueriesContext(connection) as captured, vector_cursor(connection) as cursor:
        cursor.execute("SELECT %s::vector(3) <=> '[1,2,4]'", [vector])
        assert cursor.fetchone() == (pytest.approx(0.0, abs=1e-6),)
    (logged,) = [query["sql"] for query in captured.captured_queries]
    assert logged == "SELECT $1::vector(3) <=> '[1,2,4]'"
