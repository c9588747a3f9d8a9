"""The facade shared by every request: loaded once, used safely from a bounded pool of threads.

- One `ReviewQA` per retriever a request asks for, all sharing the default facade's store, reader
  and NLP models (`ReviewQA.with_retriever`), so each model is in memory once.
- Locks: model work (the reader, the generator, the NLP components, building a pipeline) runs one
  request at a time behind `model_lock`: a Hugging Face fast tokenizer must not be called from two
  threads at once ("Already borrowed"), and on a CPU one forward pass already uses every core.
  The store is behind a readers-writer lock: questions and product listings read it together; an
  import (POST /reviews) and the embedding a dense retriever does on first use write it alone.
- Admission: at most `api_workers` requests run (a `ThreadPoolExecutor`), at most `api_queue` more
  wait; any request beyond that is refused at once with `Overloaded` (503 + Retry-After) instead of
  piling up. A slot is freed when its work ends, even if the client has gone.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from qa.api import ReviewQA
from qa.config import RetrieverKind, Settings
from qa.errors import ReviewQAError
from qa.nodes.types import Analysis
from qa.rest.errors import Overloaded
from qa.stores.feedback import Feedback
from qa.types import Answer, AskMode, AskResult, Consensus, LoadReport, Review

T = TypeVar("T")
log = logging.getLogger("qa.rest")


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before readers that arrive after it."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold the lock shared."""
        with self._condition:
            while self._writer or self._writers_waiting:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the lock alone."""
        with self._condition:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._condition.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._condition:
                self._writer = False
                self._condition.notify_all()


class Service:
    """The REST API's view of the facade: every call takes the locks it needs."""

    def __init__(self, api: ReviewQA) -> None:
        self.api = api
        self.settings: Settings = api.settings
        self.model_lock = threading.Lock()
        self.store_lock = ReadWriteLock()
        self._facades: dict[RetrieverKind, ReviewQA] = {api.settings.retrieval.retriever: api}
        self._built: set[tuple[RetrieverKind, str]] = set()
        self._pool = ThreadPoolExecutor(max_workers=self.settings.api.workers, thread_name_prefix="reviewqa-api")
        self._capacity = self.settings.api.workers + self.settings.api.queue
        self._in_flight = 0
        self._admission = threading.Lock()
        #: Health: None = not tried yet (loading), "" = ready, else what went wrong.
        self.store_problem: str | None = None
        self.reader_problem: str | None = None
        self.reviews: int | None = None

    # -- the bounded pool ------------------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Requests admitted and not finished."""
        return self._in_flight

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `function` on the worker pool, or raise Overloaded when workers and queue are full."""
        with self._admission:
            if self._in_flight >= self._capacity:
                raise Overloaded(self.settings.api.retry_after, self._capacity)
            self._in_flight += 1
        try:
            future: Future[T] = self._pool.submit(function, *args, **kwargs)
        except RuntimeError:  # the pool is shutting down
            self._release(None)
            raise Overloaded(self.settings.api.retry_after, self._capacity) from None
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _future: object) -> None:
        with self._admission:
            self._in_flight -= 1

    def close(self) -> None:
        """Stop accepting work; running requests finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- loading ---------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Open the store and load the reader and the default extractive pipeline (errors go to health)."""
        try:
            with self.store_lock.read():
                self.reviews = self.api.count()
            self.store_problem = ""
        except ReviewQAError as error:
            self.store_problem = str(error)
            log.warning("Store not ready: %s", error)
            return
        except Exception as error:  # e.g. a client library's connection error
            self.store_problem = f"Cannot open the store: {type(error).__name__}: {error}"
            log.exception("Store not ready")
            return
        try:
            self._pipeline(self.settings.retrieval.retriever, "extractive")
            self.reader_problem = ""
        except ReviewQAError as error:
            self.reader_problem = str(error)
            log.warning("Reader not ready: %s", error)
        except Exception as error:  # a library's own error while loading: health must still say why
            self.reader_problem = f"Cannot load the reader: {type(error).__name__}: {error}"
            log.exception("Reader not ready")

    def _facade(self, retriever: RetrieverKind | None) -> ReviewQA:
        kind = retriever or self.settings.retrieval.retriever
        with self.model_lock:
            if kind not in self._facades:
                _ = self.api.reader  # load the shared reader first, so the new facade takes it
                self._facades[kind] = self.api.with_retriever(kind)
            return self._facades[kind]

    def _pipeline(self, retriever: RetrieverKind | None, name: str) -> ReviewQA:
        """The facade of `retriever` with pipeline `name` built (embedding the reviews first if dense)."""
        kind = retriever or self.settings.retrieval.retriever
        facade = self._facade(kind)
        if (kind, name) not in self._built:
            if name == "generative":
                with self.model_lock:
                    _ = facade.nlp.generator  # load outside the store lock: it takes about 20 s
            with self.store_lock.write(), self.model_lock:
                if (kind, name) not in self._built:
                    facade.pipeline(name)
                    self._built.add((kind, name))
        return facade

    # -- operations (each runs on a worker thread) ---------------------------------------------
    def ask(
        self,
        question: str,
        *,
        item_id: str,
        split: str | None,
        top_k_retriever: int | None,
        top_k_reader: int | None,
        mode: AskMode,
        retriever: RetrieverKind | None,
    ) -> tuple[AskResult, float]:
        """`ReviewQA.ask`, and the seconds it took."""
        facade = self._pipeline(retriever, "generative" if mode == "generative" else "extractive")
        with self.store_lock.read(), self.model_lock:
            started = time.perf_counter()
            result = facade.ask(
                question,
                item_id=item_id,
                split=split,
                top_k_retriever=top_k_retriever,
                top_k_reader=top_k_reader,
                mode=mode,
            )
            return result, time.perf_counter() - started

    def consensus(
        self,
        question: str,
        *,
        item_id: str,
        split: str | None,
        max_reviews: int | None,
        retriever: RetrieverKind | None,
    ) -> Consensus:
        """`ReviewQA.consensus` (the reader is loaded, and the retrieval pipeline built, first)."""
        self._pipeline(retriever, "extractive")
        facade = self._pipeline(retriever, "retrieval")
        with self.store_lock.read(), self.model_lock:
            return facade.consensus(question, item_id=item_id, split=split, max_reviews=max_reviews)

    def products(self, split: str | None, domain: str | None) -> dict[str, int]:
        """`ReviewQA.products`."""
        with self.store_lock.read():
            return self.api.products(split=split, domain=domain)

    def product_reviews(self, item_id: str, split: str | None) -> list[Review]:
        """`ReviewQA.product_reviews`."""
        with self.store_lock.read():
            return self.api.product_reviews(item_id, split)

    def analyze(
        self, item_id: str | None, task: str, *, text: str | None, split: str | None, source_lang: str
    ) -> Analysis:
        """`ReviewQA.analyze` (translate asks a question: the extractive pipeline is built first)."""
        if task == "translate":
            self._pipeline(None, "extractive")
        with self.store_lock.read(), self.model_lock:
            return self.api.analyze(item_id, task, text=text, split=split, source_lang=source_lang)

    def record_feedback(
        self, question: str, item_id: str | None, answer: Answer, *, correct: bool, rank: int | None
    ) -> Feedback:
        """`ReviewQA.record_feedback` (the feedback file takes concurrent appends by itself)."""
        return self.api.record_feedback(question, item_id, answer, correct=correct, rank=rank)

    def import_reviews(
        self, path: Path, *, columns: str | None, domain: str, on_bad_row: str, file_format: str | None, source: str
    ) -> tuple[Any, list[Any], int]:
        """Load a review file (as `reviewqa import-reviews`), index it, embed it for loaded dense retrievers.

        Returns (IndexSummary, bad rows, reviews embedded).
        """
        from indexer.sources.user_reviews import BadRowPolicy, ColumnMapping, load_user_reviews

        mapping = ColumnMapping.parse(columns)
        reviews, load, bad = load_user_reviews(
            path, mapping, domain=domain, on_bad_row=BadRowPolicy(on_bad_row), file_format=file_format
        )
        report = LoadReport(rows_read=load.rows_read, dropped=load.dropped, problems=load.problems)
        embedded = 0
        with self.store_lock.write(), self.model_lock:
            summary = self.api.index_reviews(reviews, source=source, load=report, progress=False)
            for kind, facade in self._facades.items():
                if kind != "bm25" and any(k == kind for k, _ in self._built):
                    embed = facade.embed(progress=False)
                    embedded += embed.embedded if embed is not None else 0
            self.reviews = self.api.count()
        return summary, bad, embedded
