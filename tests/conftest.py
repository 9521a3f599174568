"""Fixtures shared by the whole suite. Everything runs against the real embedded
PostgreSQL (pgvector) and Redis that searchapp starts; nothing is faked but outbound HTTP."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.http_servers import LocalServer

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
# Tests never download models; a provider asked for a hub model it lacks says so at once.
os.environ["HF_HUB_OFFLINE"] = "1"


# The longest tests (`make test PYTEST_ARGS=--durations=30`), longest first.
LONGEST_FIRST = (
    "tests/relevance/test_books_targets.py",
    "tests/test_code_style.py",
    "tests/reliability/",
    "tests/relevance/test_books_set.py",
    "tests/searchapp/test_processes.py",
    "tests/frontend/test_generated_clients.py",
    "tests/quality/test_books.py",
)


def _start_rank(item: pytest.Item) -> tuple[int, bool]:
    known = [n for n, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)]
    return (known[0] if known else len(LONGEST_FIRST)), item.get_closest_marker("slow") is None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In parallel runs (pytest-xdist, `make test`), the longest tests go first, then the
    other slow ones: they then share the workers from the start, and the many short ones
    fill in around them, instead of one long test starting last and running alone. Serial
    runs keep the files' order."""
    if hasattr(config, "workerinput"):
        items.sort(key=_start_rank)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """pytest-django's test database, whose commits do not wait for the disk
    (synchronous_commit off, for every connection to it, the workers' and servers' too). A
    crash could lose its last commits, and it holds test data only; the many commits and
    flushes of transactional tests stop waiting on fsync. Per-space indexes an earlier run
    left in it (pytest-django keeps the database between runs: --reuse-db) are dropped."""
    from django.db import connection

    from embeddings.index import orphan_indexes_drop

    name = connection.settings_dict["NAME"]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
        cursor.execute("SET synchronous_commit TO off")
        orphan_indexes_drop()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> None:
    """Passwords the tests set are hashed with one round of MD5, not the production PBKDF2
    (about 0.5 s of CPU per user created or password checked, a third of the suite's CPU
    when every test makes a curator). The production hashers stay listed after it, so a
    hash made by another process of the suite still verifies. No test is about hashing
    strength; production settings are untouched."""
    from django.contrib.auth.hashers import reset_hashers

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    reset_hashers(setting="PASSWORD_HASHERS")


# Rows that `migrate` makes and the post_migrate signal makes again after every flush.
KEPT_BY_FLUSH = ("django_migrations", "django_content_type", "auth_permission")
PERMISSIONS_RECEIVER = "django.contrib.auth.management.create_permissions"  # its dispatch_uid


# Node names of the Celery workers that `celery_worker` started in this process and that run.
SESSION_WORKERS: list[str] = []


def _worker_idle(name: str, timeout: float = 30) -> None:
    """Wait until the worker ``name`` runs no task and holds none in reserve. Tasks it holds
    for later (a retry's countdown) are revoked: the test that queued them is over."""
    from searchapp.celery import app

    inspect = app.control.inspect(destination=[name], timeout=1.0, limit=1)
    later = [
        entry["request"]["id"] for tasks in (inspect.scheduled() or {}).values() for entry in tasks
    ]
    if later:
        app.control.revoke(later, destination=[name])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
        if not any(busy):
            return
        time.sleep(0.02)
    raise AssertionError(f"the Celery worker {name} still runs tasks after {timeout} s")


def _empty_tables(test_case: Any) -> None:
    """TransactionTestCase's flush, done with DELETE instead of TRUNCATE. Half of the suite's
    tests are transactional (they need real commits); TRUNCATE of every table gives each table
    and index a new file at every one of them, which cost the server more CPU than the tests.
    DELETE of the few rows a test wrote is nearly free (Django's foreign keys are deferred to
    the commit, so the order does not matter). Content types and permissions are kept rather
    than deleted and made again, so their post_migrate receivers (which would only check,
    at 0.1 s a flush) are left out; the project's receivers get the signal, as after flush:
    among them the one that drops the indexes of the spaces deleted (DDL that neither DELETE
    nor TRUNCATE undoes; left, every insert of a vector checked the predicates of hundreds of
    partial indexes, and every plan over the table weighed them)."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connections, transaction
    from django.db.models.signals import post_migrate
    from kombu.exceptions import OperationalError

    from searchapp.celery import app

    # Tasks the test queued would write into the next test: a search's log, which the
    # session's worker (`celery_worker`) stores after the search answered. Those no worker
    # took yet are dropped; those the worker took are waited for. A broker that is down
    # holds no task.
    with contextlib.suppress(OSError, OperationalError):
        app.control.purge()
        for name in SESSION_WORKERS:
            _worker_idle(name)
    for alias in test_case._databases_names(include_mirrors=False):
        connection = connections[alias]
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        quote = connection.ops.quote_name
        emptied = [table for table in sorted(tables) if table not in KEPT_BY_FLUSH]
        deletes = [f"DELETE FROM {quote(table)}" for table in emptied]  # noqa: S608 - schema names
        tables_sql = ", ".join(quote(table) for table in emptied)
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # As TRUNCATE did: wait for writers still in a transaction (a Celery worker storing
            # a search log of the test) and delete what they commit, not keep it for the next.
            cursor.execute(f"LOCK TABLE {tables_sql} IN ACCESS EXCLUSIVE MODE")
            cursor.execute("; ".join(deletes))
        post_migrate.disconnect(create_permissions, dispatch_uid=PERMISSIONS_RECEIVER)
        post_migrate.disconnect(create_contenttypes)
        try:
            emit_post_migrate_signal(verbosity=0, interactive=False, db=alias)
        finally:
            post_migrate.connect(create_contenttypes)
            post_migrate.connect(create_permissions, dispatch_uid=PERMISSIONS_RECEIVER)


@pytest.fixture(autouse=True, scope="session")
def _quick_flush() -> Iterator[None]:
    from django.test import TransactionTestCase

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", _empty_tables)
        yield


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Path, settings: Any) -> None:
    """Every test stores its uploaded files in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_lexical_statistics() -> Iterator[None]:
    """BM25's corpus statistics are cached for a minute per process: each test counts its
    own catalog."""
    from search.lexical import corpus_cache

    corpus_cache.clear()
    yield
    corpus_cache.clear()


@pytest.fixture
def no_cutoff(settings: Any) -> None:
    """Every ranked result to the search depth: for tests of ranking, fusion and filters
    (the relevant set has tests of its own, tests/search/api/test_facets_sort_cutoff.py)."""
    settings.SEARCHAPP_CUTOFF_RATIO = 0
    settings.SEARCHAPP_CUTOFF_SIMILARITY_RATIO = 0


@pytest.fixture(autouse=True)
def _no_throttling(settings: Any) -> None:
    """Rate limits have tests of their own (tests/searchapp/test_access.py)."""
    settings.SEARCHAPP_THROTTLE = False


def make_image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 30, 30),
    mode: str = "RGB",
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color if mode == "RGB" else 128).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def image_bytes() -> Callable[..., bytes]:
    return make_image_bytes


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def curator(db: None) -> User:
    user = User.objects.create_user("curator", password="curator-pass-123", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename__endswith="_item")
    )
    return user


@pytest.fixture
def curator_client(curator: User) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=curator)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin_user_client(db: None) -> tuple[User, Any]:
    from django.test import Client

    user = User.objects.create_superuser("boss", "", "boss-pass-123")
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"needs ../shared (not found at {SHARED_DIR})")
    return SHARED_DIR


@pytest.fixture
def minilm_providers(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """EMBEDDING_PROVIDERS with ../shared's real all-MiniLM-L6-v2 as "minilm" (skipped when it
    is missing); worker wake-ups are off, as these tests embed in-process."""
    from embeddings import queue as embedding_queue

    model = shared_dir / "models" / "all-minilm-l6-v2-int8"
    if not model.is_dir():
        pytest.skip(f"needs {model}")
    monkeypatch.setattr(embedding_queue, "_wake", lambda space_id: None)
    return {"minilm": {"BACKEND": "embeddings.providers.onnx.OnnxProvider",
                       "OPTIONS": {"path": str(model)}}}  # fmt: skip


def wait_until(predicate: Callable[[], bool], timeout: float = 30, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def xdist_worker() -> str:
    """This test process's pytest-xdist worker id ("gw0", "gw1", ...; "main" when serial).
    Each one has a test database (pytest-django's test_searchapp_gw0, ...) and a Redis
    database (searchapp.settings) of its own, and so its own Celery queue and workers."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def spare_redis_db() -> int:
    """A Redis database that neither this test process nor any other one uses: for a test
    that starts a whole deployment of its own on the suite's Redis (`make run`). The
    settings give each test process an odd database; the one above it is this one."""
    return int(str(settings.CELERY_BROKER_URL).rsplit("virtual_host=", 1)[1]) + 1


def worker_environment() -> dict[str, str]:
    """Environment for a child process that must see the test database and test broker."""
    env = dict(os.environ)
    env["SEARCHAPP_DATABASE_NAME"] = str(settings.DATABASES["default"]["NAME"])
    env["DJANGO_SETTINGS_MODULE"] = "searchapp.settings"
    return env


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of tiny real ONNX models (a CLIP-like text+image pair and a sentence
    encoder), built by the tests: provider aliases "tiny-clip" and "tiny-minilm"."""
    from tests.embeddings.providers.tiny_models import build_tiny_clip, build_tiny_sentence_model

    root = tmp_path_factory.mktemp("models")
    build_tiny_clip(root)
    build_tiny_sentence_model(root)
    return root


# Hosted providers as the test worker knows them: every HTTP call goes to the in-memory
# fake vendor of tests/embeddings/providers/vendors/<vendor>.py (no test reaches the internet).
_HOSTED: list[tuple[str, str, dict[str, Any]]] = [
    ("voyage", "embeddings.providers.voyage.VoyageProvider", {}),
    ("cohere", "embeddings.providers.cohere.CohereProvider", {}),
    ("jina", "embeddings.providers.jina.JinaProvider", {}),
    ("nomic", "embeddings.providers.nomic.NomicProvider", {}),
    ("vertex", "embeddings.providers.vertex.VertexProvider",
     {"access_token": "test-token", "project": "test-project"}),
    ("openai_compatible", "embeddings.providers.openai_compatible.OpenAICompatibleProvider",
     {"base_url": "http://gateway.test", "model": "clip", "dimensions": 512, "images": True}),
]  # fmt: skip
HOSTED_TEST_PROVIDERS: dict[str, dict[str, Any]] = {
    vendor: {
        "BACKEND": backend,
        "OPTIONS": {
            "api_key": f"test-key-{vendor}",
            "transport": f"tests.embeddings.providers.vendors.{vendor}.transport",
            "backoff": 0.01,
            **options,
        },
    }
    for vendor, backend, options in _HOSTED
}


@pytest.fixture(scope="session")
def test_providers(tiny_model_dir: Path) -> dict[str, dict[str, Any]]:
    """EMBEDDING_PROVIDERS of the test worker: the tiny ONNX models ("tiny-clip",
    "tiny-minilm") and every hosted provider on its fake vendor."""
    from searchapp.env import embedding_providers_from_env

    os.environ["SEARCHAPP_MODEL_DIR"] = str(tiny_model_dir)
    try:
        local = embedding_providers_from_env()
    finally:
        del os.environ["SEARCHAPP_MODEL_DIR"]
    return {**local, **HOSTED_TEST_PROVIDERS}


@pytest.fixture
def tiny_providers(test_providers: dict[str, dict[str, Any]], settings: Any) -> dict[str, Any]:
    settings.EMBEDDING_PROVIDERS = test_providers
    return dict(test_providers)


@pytest.fixture(scope="session")
def worker_media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-media")


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, test_providers: dict[str, Any], worker_media_root: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the embedded Redis, pointed at the test database,
    with the tiny models as its providers and its own media folder (tests that use it set
    MEDIA_ROOT to `worker_media_root`)."""
    from searchapp.celery import app

    log = REPO_ROOT / "var" / f"test-worker-{xdist_worker()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    app.control.purge()
    name = f"test-{os.getpid()}@{socket.gethostname()}"  # its node name, for ping and inspect
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "searchapp", "worker", "-l", "info",
             "--concurrency", "2", "--without-gossip", "--without-mingle", "-n", name],
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**worker_environment(), "SEARCHAPP_EMBEDDING_PROVIDERS": json.dumps(test_providers),
                 "SEARCHAPP_MEDIA_ROOT": str(worker_media_root), "SEARCHAPP_ONNX_THREADS": "1"},
        )  # fmt: skip
    try:
        wait_until(
            lambda: bool(app.control.ping([name], timeout=0.5)) or process.poll() is not None, 60
        )
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log.read_text()[-3000:]}")
        SESSION_WORKERS.append(name)
        yield process
    finally:
        if name in SESSION_WORKERS:
            SESSION_WORKERS.remove(name)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# --- image URLs: real HTTP servers on loopback, and the fetcher's resolver --------------------


@pytest.fixture
def url_servers(settings: Any) -> Iterator[tuple[LocalServer, LocalServer]]:
    """Two real HTTP servers on the same port: one on 127.0.0.2, the internal image host the
    operator allowed (SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS), and one on 127.0.0.1, which is
    still refused and must never see a request."""
    settings.SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    for _ in range(20):
        allowed = LocalServer("127.0.0.2")
        try:
            refused = LocalServer("127.0.0.1", allowed.port)
        except OSError:  # that port is taken on 127.0.0.1: try another
            allowed.close()
            continue
        try:
            yield allowed, refused
        finally:
            allowed.close()
            refused.close()
        return
    raise RuntimeError("found no port free on both 127.0.0.1 and 127.0.0.2")


@pytest.fixture
def image_server(url_servers: tuple[LocalServer, LocalServer]) -> LocalServer:
    return url_servers[0]


@pytest.fixture
def loopback_server(url_servers: tuple[LocalServer, LocalServer]) -> LocalServer:
    return url_servers[1]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The fetcher's resolver (searchapp.urlfetch.resolve_host), answering from this table:
    name -> addresses. Names not in it do not resolve."""
    from searchapp import urlfetch

    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[urlfetch.IPAddress]:
        if host not in table:
            raise urlfetch.UrlFetchError(f"the name {host} cannot be resolved (test DNS).")
        return [ipaddress.ip_address(address) for address in table[host]]

    monkeypatch.setattr(urlfetch, "resolve_host", resolve)
    return table
