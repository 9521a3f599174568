"""gunicorn settings for searchapp: `gunicorn -c searchapp/gunicorn.conf.py searchapp.wsgi`
(what `make run` starts, and the production command in the README).

Why threads: a client that sends its body slowly holds the thread reading it, not the
process. With the default sync worker one stalled upload blocked a whole worker until
gunicorn killed it 30 s later (an HTML 500), and two took the site down. With gthread a
stalled body holds one of `threads` threads for at most a few seconds (searchapp.server
drops it with a 408), the worker keeps its heartbeat and the other threads keep serving.
Request handling is mostly PostgreSQL and ONNX Runtime, which release the GIL.
"""

import os

wsgi_app = "searchapp.wsgi:application"
worker_class = "searchapp.server.Worker"  # gthread, with JSON answers for its own errors
workers = int(os.environ.get("SEARCHAPP_WEB_WORKERS", "2"))
threads = int(os.environ.get("SEARCHAPP_WEB_THREADS", "16"))
# A worker whose heartbeat stops for this long is restarted; slow clients no longer count.
timeout = 30
graceful_timeout = 10
keepalive = 5
# The largest request line gunicorn allows (a longer one is a JSON 414), and header fields
# of 8 KiB, at most 100 of them (more is a JSON 431).
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 100
accesslog = "-"
