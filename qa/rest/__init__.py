"""The REST API over the `qa.api` facade (FastAPI): `create_app` builds it, `reviewqa serve` runs it.

A leaf of the project: it imports `qa` and `indexer`, never `eval/`, `ui/` or the CLI.
"""

from qa.rest.app import create_app

__all__ = ["create_app"]
