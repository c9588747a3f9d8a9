"""`reviewqa serve`: run the REST API with uvicorn (one process; the facade is loaded once)."""

from __future__ import annotations

from qa.config import Settings

#: Seconds an idle keep-alive connection stays open, and a running request is given to finish on Ctrl+C.
KEEP_ALIVE_SECONDS = 5
GRACEFUL_SHUTDOWN_SECONDS = 10


def serve(settings: Settings, *, log_level: str = "info") -> None:
    """Serve `create_app(settings)` on `settings.api.host`:`settings.api.port` until interrupted.

    One process and one event loop: requests are answered by the app's bounded worker pool, so the
    reader and the other models are in memory once. Port 0 picks a free port (uvicorn logs which).
    """
    import uvicorn

    from qa.rest.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.api.host,
        port=settings.api.port,
        log_level=log_level,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
        proxy_headers=False,
    )
    uvicorn.Server(config).run()
