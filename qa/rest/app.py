"""The REST API: `create_app(settings | api)` builds the FastAPI application `reviewqa serve` runs.

Endpoints (the OpenAPI schema is at /openapi.json, the docs at /docs):

- `POST /ask`: a question about one product (`ReviewQA.ask`), with `"consensus": true` also the review consensus.
- `GET /products`, `GET /products/{item_id}`: product ids with review counts; one product's reviews.
- `POST /feedback`: mark an answer right or wrong (needs X-API-Key when REVIEWQA_API_KEY is set).
- `POST /analyze`: an NLP task on a product's reviews or a text (`ReviewQA.analyze`).
- `POST /reviews`: import a CSV/JSONL review file (`reviewqa import-reviews`); always needs X-API-Key.
- `GET /health`: 200 when the store and the reader are loaded, else 503 with what is missing.

Every error is problem details (`qa.rest.errors`). The REST layer calls `qa.api` (through
`qa.rest.service`) and nothing else assembles pipelines.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, Form, Query, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.openapi.utils import get_openapi
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa import __version__
from qa.api import ReviewQA
from qa.config import Settings
from qa.errors import ReviewQAError
from qa.nodes.types import EntityReport, Generation, ProsCons, SentimentReport, Summary, TranslatedAnswer
from qa.rest.errors import PROBLEM_JSON, ApiKeyError, install_problem_handlers, problem_response, problem_responses
from qa.rest.models import (
    MAX_ID_CHARS,
    AnalyzeRequest,
    AnalyzeResponse,
    AskRequest,
    AskResponse,
    EntitiesResult,
    EntityCount,
    FeedbackRequest,
    GenerationResult,
    HealthResponse,
    ImportResponse,
    PoolHealth,
    ProductCount,
    ProductResponse,
    ProductsResponse,
    ProsConsResult,
    ReaderHealth,
    SentimentResult,
    Split,
    StoreHealth,
    SummaryResult,
    TranslationResult,
)
from qa.rest.service import Service
from qa.stores.feedback import Feedback

log = logging.getLogger("qa.rest")
#: Paths whose body may be as large as `settings.api.max_upload_bytes` (the others: `api_max_body_bytes`).
UPLOAD_PATHS = frozenset({"/reviews"})
#: Most products or reviews one GET returns.
MAX_PAGE = 1000
API_KEY_HEADER = "X-API-Key"

_api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="The server's REVIEWQA_API_KEY: POST /reviews always needs it, POST /feedback when one is set.",
)


class BodyLimit:
    """Refuse request bodies over the limit with 413 problem details (declared or streamed size)."""

    def __init__(self, app: ASGIApp, default: int, uploads: int) -> None:
        self.app, self.default, self.uploads = app, default, uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads if scope["path"] in UPLOAD_PATHS else self.default
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = problem_response(
                413, "content-too-large", _too_large(limit), instance=scope["path"], headers={"Connection": "close"}
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    from starlette.exceptions import HTTPException

                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int) -> str:
    return f"The request body is larger than this endpoint's limit of {limit} bytes."


def _check_key(settings: Settings, given: str | None, *, required: bool, action: str) -> None:
    configured = settings.api.key
    if configured is None:
        if required:
            raise ApiKeyError(
                403,
                f"{action} needs an API key and the server has none: set REVIEWQA_API_KEY (16 or more characters) "
                f"in the environment of `reviewqa serve`, restart it, and send the key in the {API_KEY_HEADER} header.",
            )
        return
    if not given:
        raise ApiKeyError(401, f"{action} needs the API key: send it in the {API_KEY_HEADER} header.")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), configured.encode("utf-8")):
        raise ApiKeyError(401, f"The {API_KEY_HEADER} header does not match the server's REVIEWQA_API_KEY.")


def _safe_name(filename: str | None) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename or "").name)[:100].lstrip(".")
    return name or "upload"


def _analysis_result(analysis: Any) -> Any:
    if isinstance(analysis, SentimentReport):
        return SentimentResult(report=analysis, counts=analysis.counts, mean_polarity=analysis.mean_polarity)
    if isinstance(analysis, EntityReport):
        common = [EntityCount(text=t, label=label, mentions=n) for t, label, n in analysis.most_common(10)]
        return EntitiesResult(report=analysis, most_common=common)
    if isinstance(analysis, Summary):
        return SummaryResult(report=analysis)
    if isinstance(analysis, TranslatedAnswer):
        return TranslationResult(report=analysis)
    if isinstance(analysis, Generation):
        return GenerationResult(report=analysis)
    if isinstance(analysis, ProsCons):
        return ProsConsResult(report=analysis)
    raise TypeError(f"unexpected analysis {type(analysis).__name__}")


def _problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI schema with every error response as `application/problem+json` (Problem)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        problem = {"$ref": "#/components/schemas/Problem"}
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if status.isdigit() and int(status) >= 400 and ref.endswith(("/Problem", "/HTTPValidationError")):
                    response["content"] = {PROBLEM_JSON: {"schema": problem}}
        components = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    return openapi


def create_app(source: Settings | ReviewQA | None = None, *, warm_up: bool = True) -> FastAPI:
    """The REST application over one facade.

    :param source: the facade to serve, or the settings to build it from (default: `Settings.from_env()`).
    :param warm_up: load the store, the reader and the default pipeline in the background at start
        (GET /health says 503 "starting" until then); False loads them on the first request.
    """
    api = source if isinstance(source, ReviewQA) else ReviewQA(source or Settings.from_env())
    settings = api.settings
    service = Service(api)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            threading.Thread(target=service.warm_up, name="reviewqa-warm-up", daemon=True).start()
        yield
        service.close()

    app = FastAPI(
        title="reviewqa",
        version=__version__,
        description="Question answering over customer reviews: ask about one product, read the answer out of "
        "its reviews, with the review as evidence. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,  # operationId = the endpoint function's name
    )
    app.state.service = service
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, default=settings.api.max_body_bytes, uploads=settings.api.max_upload_bytes)
    app.openapi = _problem_openapi(app)  # type: ignore[method-assign]
    common = (413, 422, 500, 503)

    @app.post("/ask", response_model=AskResponse, responses=problem_responses(400, 404, *common))
    async def ask(body: AskRequest) -> AskResponse:
        """Answer a question from the reviews of one product (extractive spans or a generated answer)."""
        result, seconds = await service.run(
            service.ask,
            body.question,
            item_id=body.item_id,
            split=body.split,
            top_k_retriever=body.top_k_retriever,
            top_k_reader=body.top_k_reader,
            mode=body.mode,
            retriever=body.retriever,
        )
        consensus = None
        if body.consensus:
            consensus = await service.run(
                service.consensus,
                body.question,
                item_id=body.item_id,
                split=body.split,
                max_reviews=body.consensus_reviews,
                retriever=body.retriever,
            )
        retriever = body.retriever or settings.retrieval.retriever
        return AskResponse.of(result, body.mode, retriever, seconds, consensus)

    @app.get("/products", response_model=ProductsResponse, responses=problem_responses(400, *common))
    async def products(
        split: Annotated[Split | None, Query(description="Only reviews of this split.")] = None,
        domain: Annotated[str | None, Query(max_length=MAX_ID_CHARS, description="Only this domain.")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Products per page.")] = 100,
        offset: Annotated[int, Query(ge=0, description="Products to skip.")] = 0,
    ) -> ProductsResponse:
        """Product ids with their number of reviews, most reviewed first."""
        counts = await service.run(service.products, split, domain)
        page = list(counts.items())[offset : offset + limit]
        return ProductsResponse(
            total=len(counts),
            offset=offset,
            limit=limit,
            products=[ProductCount(item_id=item, reviews=n) for item, n in page],
        )

    @app.get("/products/{item_id}", response_model=ProductResponse, responses=problem_responses(400, 404, *common))
    async def product(
        item_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS, description="The product id.")],
        split: Annotated[Split | None, Query(description="Only reviews of this split.")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Reviews returned at most.")] = 100,
    ) -> ProductResponse:
        """The reviews of one product, each once."""
        reviews = await service.run(service.product_reviews, item_id, split)
        return ProductResponse(item_id=item_id, split=split, count=len(reviews), reviews=reviews[:limit])

    @app.post("/feedback", status_code=201, response_model=Feedback, responses=problem_responses(400, 401, *common))
    async def feedback(body: FeedbackRequest, key: Annotated[str | None, Depends(_api_key_scheme)] = None) -> Feedback:
        """Record that an answer (as POST /ask returned it) is right or wrong; stored durably."""
        _check_key(settings, key, required=False, action="Recording feedback")
        return await service.run(
            service.record_feedback,
            body.question,
            body.item_id,
            body.answer.to_answer(),
            correct=body.correct,
            rank=body.rank,
        )

    @app.post("/analyze", response_model=AnalyzeResponse, responses=problem_responses(400, 404, *common))
    async def analyze(body: AnalyzeRequest) -> Any:
        """Run one NLP task (sentiment, ner, summary, translate, generate, pros-cons); models load on first use."""
        analysis = await service.run(
            service.analyze, body.item_id, body.task, text=body.text, split=body.split, source_lang=body.source_lang
        )
        return _analysis_result(analysis)

    @app.post(
        "/reviews",
        status_code=201,
        response_model=ImportResponse,
        responses=problem_responses(400, 401, 403, *common),
    )
    async def import_reviews(
        file: Annotated[UploadFile, File(description="A .csv, .jsonl or .ndjson file of reviews (UTF-8).")],
        key: Annotated[str | None, Depends(_api_key_scheme)] = None,
        columns: Annotated[
            str | None,
            Form(max_length=500, description="Column mapping, e.g. 'item_id=asin,text=body,rating=stars'."),
        ] = None,
        domain: Annotated[str, Form(min_length=1, max_length=MAX_ID_CHARS, description="Stored with each review.")] = (
            "custom"
        ),
        on_bad_row: Annotated[
            Literal["skip", "reject"], Form(description="skip: report bad rows and go on; reject: import nothing.")
        ] = "skip",
        file_format: Annotated[
            Literal["csv", "jsonl"] | None, Form(alias="format", description="Default: from the file name's suffix.")
        ] = None,
    ) -> ImportResponse:
        """Import reviews from an uploaded file, as `reviewqa import-reviews` does (needs X-API-Key)."""
        _check_key(settings, key, required=True, action="Importing reviews")
        name = _safe_name(file.filename)
        folder = Path(tempfile.mkdtemp(prefix="reviewqa-upload-"))
        try:
            path = folder / name
            with path.open("wb") as handle:
                while chunk := await file.read(1 << 20):
                    handle.write(chunk)
            try:
                summary, bad, embedded = await service.run(
                    service.import_reviews,
                    path,
                    columns=columns,
                    domain=domain,
                    on_bad_row=on_bad_row,
                    file_format=file_format,
                    source=name,
                )
            except ReviewQAError as error:  # the CLI names the file as given: say the upload's name, not ours
                raise type(error)(str(error).replace(f"{folder}{os.sep}", "")) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return ImportResponse(
            source=name,
            domain=domain,
            rows_read=summary.load.rows_read,
            reviews=summary.reviews,
            bad_rows=bad,
            written=summary.write.written,
            already_present=summary.write.already_present,
            embedded=embedded,
        )

    @app.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
    async def health(response: Response) -> HealthResponse:
        """Whether the store and the reader are loaded (200) or not yet / not at all (503, with why)."""
        store_ok, reader_ok = service.store_problem == "", service.reader_problem == ""
        loading = service.store_problem is None or (store_ok and service.reader_problem is None)
        status: Literal["ready", "starting", "unavailable"] = (
            "ready" if store_ok and reader_ok else "starting" if loading else "unavailable"
        )
        if status != "ready":
            response.status_code = 503
        return HealthResponse(
            status=status,
            store=StoreHealth(
                ready=store_ok,
                detail=_health_detail(service.store_problem),
                backend=settings.store.backend,
                reviews=service.reviews,
            ),
            reader=ReaderHealth(
                ready=reader_ok, detail=_health_detail(service.reader_problem), model=settings.reader.model
            ),
            pool=PoolHealth(workers=settings.api.workers, queue=settings.api.queue, in_flight=service.in_flight),
            version=__version__,
        )

    return app


def _health_detail(problem: str | None) -> str | None:
    return "loading" if problem is None else problem or None
