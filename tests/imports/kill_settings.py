"""Settings for the worker processes of test_worker_kill: small chunks, so a short file has several."""

from rapport.settings import *  # noqa: F403

IMPORT_CHUNK_ROWS = 25
IMPORT_RETRY_BASE_DELAY = 0.2
