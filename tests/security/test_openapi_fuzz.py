"""schemathesis against the API's own OpenAPI schema: every operation, called in-process
through the WSGI application on the real test database, authenticated as a curator so that
writes run too. No answer may be a 5xx, and every answer must be declared in the schema
(status code, content type, body)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.pytest import _test_builder
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from catalog.models import Item
from catalog.services import item_create
from searchapp.images import image_from_bytes
from searchapp.wsgi import application
from tests.conftest import make_image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Operations whose every schema violation must be refused (a 4xx), not only answered as
# declared: search's typed JSON body (a string where the schema says a list, a number where
# it says text) was accepted before negative_data_rejection was checked here. Elsewhere the
# form and query-string rule "a blank value is an absent one" (what HTML forms send) is
# deliberate and reads as a violation to schemathesis, so the check is not applied there.
STRICT = {
    ("POST", "/api/v1/search/"): [negative_data_rejection],
    ("GET", "/api/v1/suggest/"): [negative_data_rejection],
}


def _build_when_run(**arguments: Any) -> Callable[..., None]:
    """schemathesis's `build_operation_test`, run when the operation's test runs rather than
    when it is collected. Building one generates the operation's coverage-phase cases (every
    boundary and invalid value of every parameter), 7 s of CPU for the 29 operations here;
    at collection every test process of the parallel suite paid it, for all of them. Now only
    the process that runs an operation's test builds it. The cases are the same: they are
    deterministic (`generation.deterministic`) and seeded by the operation."""
    test_function = arguments["test_func"]
    built: list[Callable[..., None]] = []

    def run(*args: Any, **kwargs: Any) -> None:
        if not built:
            built.append(_build_now(**arguments))
        built[0](*args, **kwargs)

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(run, name, getattr(test_function, name))
    # pytest finds the fixtures a test asks for in its signature: the built test's lacks the
    # `case` schemathesis gives.
    signature = inspect.signature(test_function)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name != "case"]
    )
    return run


_build_now = _test_builder.build_operation_test
_test_builder.build_operation_test = _build_when_run  # the plugin imports it when it collects

# Loaded when the module is collected (the schema view needs no database); one test per
# operation. (schemathesis.pytest.from_fixture does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/?format=json",
    application,
    config=schemathesis.Config.from_dict({"generation": {"deterministic": True}}),
)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case: schemathesis.Case, curator: Any) -> None:
    aim_at_a_real_item(case)
    token, _ = Token.objects.get_or_create(user=curator)
    checks = CHECKS + STRICT.get((case.method.upper(), case.path), [])
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=checks)


def aim_at_a_real_item(case: schemathesis.Case) -> None:
    """Random ids find no item: two cases in three are pointed at an item (with an image)
    made for the case, so that reads and writes of a real item are exercised too."""
    parameters = case.path_parameters or {}
    generated = parameters.get("item_id")
    if not isinstance(generated, int) or isinstance(generated, bool) or generated % 3 == 0:
        return
    item = item_create(
        external_id=f"fuzz-{Item.objects.count()}-{generated}",
        title="Fuzzed lamp",
        images=[image_from_bytes(make_image_bytes(color=(generated % 256, 1, 2)))],
    )
    parameters["item_id"] = item.pk
    if "image_id" in parameters:
        parameters["image_id"] = item.images.get().pk
