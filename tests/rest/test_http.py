"""The REST API over HTTP: a real `reviewqa serve` on loopback, the real index and the tiny reader."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from qa.api import ReviewQA
from qa.config import MAX_QUESTION_CHARS, Settings
from qa.errors import ReviewQAError
from qa.rest.models import Split
from tests.rest.conftest import API_KEY, KINDLE, Server, thread_server

QUESTION = "Is it good for reading?"
PROBLEM = "application/problem+json"


def problem(response: httpx.Response, status: int) -> dict:
    """The body of a problem-details response, checked for RFC 9457's members and no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:reviewqa:problem:")
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def cli_message(server: Server, question: str, item_id: str) -> str:
    """What the facade (and so `reviewqa ask`, after "Error: ") says for the same mistake."""
    with pytest.raises(ReviewQAError) as caught:
        ReviewQA(server.settings).ask(question, item_id=item_id)
    return str(caught.value)


def test_health_says_store_and_reader_are_ready(client: httpx.Client, server: Server) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ready"
    assert body["store"] == {"ready": True, "detail": None, "backend": "embedded", "reviews": 1265 + 252 + 358}
    assert body["reader"] == {"ready": True, "detail": None, "model": server.settings.reader.model}
    assert body["pool"]["workers"] == 2 and body["pool"]["queue"] == 16


def test_openapi_schema_and_docs_are_served(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/ask",
        "/products",
        "/products/{item_id}",
        "/feedback",
        "/analyze",
        "/reviews",
        "/health",
    }
    ask = schema["paths"]["/ask"]["post"]
    assert ask["responses"]["400"]["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert ask["responses"]["422"]["content"][PROBLEM]
    assert {"Review", "Confidence", "RetrievedReview", "Feedback", "BadRow"} <= set(schema["components"]["schemas"])
    assert "swagger-ui" in client.get("/docs").text
    assert set(Split.__args__) == {"train", "dev", "test"}


def test_ask_reads_answers_out_of_the_products_reviews(client: httpx.Client) -> None:
    response = client.post(
        "/ask", json={"question": QUESTION, "item_id": KINDLE, "top_k_retriever": 3, "top_k_reader": 2}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["question"] == QUESTION and body["item_id"] == KINDLE and body["mode"] == "extractive"
    assert body["retriever"] == "bm25"
    assert len(body["reviews"]) == 3 and all(r["review"]["item_id"] == KINDLE for r in body["reviews"])
    assert body["best"] == body["answers"][0]
    assert 2 <= len(body["answers"]) <= 3  # two spans and the no-answer prediction
    assert body["confidence"]["words"] in ("likely", "possibly", "not mentioned")
    for answer in body["answers"]:
        if answer["is_no_answer"]:
            assert answer["text"] is None and answer["review"] is None
        else:
            review = answer["review"]["text"]
            assert review[answer["start"] : answer["end"]] == answer["text"]
            assert f"[{answer['text']}]" in answer["context"]


def test_same_question_same_answers_under_concurrent_requests(client: httpx.Client, server: Server) -> None:
    """Eight requests at once on the shared reader give exactly the sequential answer."""
    request = {"question": "How is the battery life?", "item_id": KINDLE, "split": "test"}
    expected = client.post("/ask", json=request).json()["answers"]

    def ask(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            return http.post("/ask", json=request)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(ask, range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert all(r.json()["answers"] == expected for r in responses)


@pytest.mark.parametrize(
    ("question", "item_id"),
    [("", KINDLE), ("\u200b\u200b", KINDLE), ("x" * (MAX_QUESTION_CHARS + 1), KINDLE), (QUESTION, "B0074BW61X")],
    ids=["empty", "invisible", "too-long", "unknown-product"],
)
def test_user_mistakes_carry_the_clis_message(
    client: httpx.Client, server: Server, question: str, item_id: str
) -> None:
    body = problem(
        client.post("/ask", json={"question": question, "item_id": item_id}), 404 if item_id != KINDLE else 400
    )
    assert body["detail"] == cli_message(server, question, item_id)
    assert body["instance"] == "/ask"
    if item_id != KINDLE:
        assert "Did you mean B0074BW614" in body["detail"]


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"question": QUESTION, "item_id": KINDLE, "top_k_reader": 0}, ["body", "top_k_reader"]),
        ({"question": QUESTION, "item_id": KINDLE, "mode": "poetic"}, ["body", "mode"]),
        ({"question": QUESTION, "item_id": KINDLE, "split": "val"}, ["body", "split"]),
        ({"question": QUESTION, "item_id": KINDLE, "top_k": 3}, ["body", "top_k"]),
        ({"item_id": KINDLE}, ["body", "question"]),
        ({"question": "\ud800", "item_id": KINDLE}, ["body", "question"]),
    ],
    ids=["top-k-0", "mode", "split", "unknown-field", "no-question", "lone-surrogate"],
)
def test_invalid_requests_are_422_problems(client: httpx.Client, payload: dict, where: list) -> None:
    body = problem(client.post("/ask", content=json.dumps(payload), headers={"content-type": "application/json"}), 422)
    assert [issue["loc"] for issue in body["errors"]] == [where]
    assert body["detail"].startswith("Invalid request: " + ".".join(where))


def test_malformed_json_oversized_body_and_unknown_routes_are_problems(client: httpx.Client) -> None:
    problem(client.post("/ask", content=b'{"question": ', headers={"content-type": "application/json"}), 422)
    big = {"question": QUESTION, "item_id": KINDLE, "padding": "x" * 1_100_000}
    body = problem(client.post("/ask", json=big), 413)
    assert "1048576 bytes" in body["detail"]
    chunked = client.post(
        "/ask", content=iter([b'{"question": "', b"x" * 1_100_000, b'"}']), headers={"content-type": "application/json"}
    )
    problem(chunked, 413)  # no Content-Length: counted while streaming
    problem(client.get("/nowhere"), 404)
    problem(client.get("/ask"), 405)


def test_products_and_one_product(client: httpx.Client) -> None:
    page = client.get("/products", params={"split": "test", "limit": 5}).json()
    assert page["total"] > 5 and len(page["products"]) == 5 and page["offset"] == 0
    counts = [p["reviews"] for p in page["products"]]
    assert counts == sorted(counts, reverse=True)
    second = client.get("/products", params={"split": "test", "limit": 5, "offset": 5}).json()
    assert not {p["item_id"] for p in page["products"]} & {p["item_id"] for p in second["products"]}
    product = client.get(f"/products/{KINDLE}", params={"split": "test"}).json()
    assert product["item_id"] == KINDLE and product["count"] == len(product["reviews"]) > 0
    assert all(r["item_id"] == KINDLE and r["split"] == "test" for r in product["reviews"])
    assert len({r["review_id"] for r in product["reviews"]}) == product["count"]
    body = problem(client.get("/products/B0074BW61X"), 404)
    assert "No reviews of product 'B0074BW61X'" in body["detail"]
    problem(client.get("/products", params={"limit": 0}), 422)


def test_feedback_needs_the_key_and_is_stored(client: httpx.Client, server: Server) -> None:
    answer = client.post("/ask", json={"question": QUESTION, "item_id": KINDLE}).json()["answers"][0]
    payload = {"question": QUESTION, "item_id": KINDLE, "answer": answer, "correct": True, "rank": 1}
    body = problem(client.post("/feedback", json=payload), 401)
    assert "X-API-Key" in body["detail"]
    problem(client.post("/feedback", json=payload, headers={"X-API-Key": "wrong-key-0123456789"}), 401)
    response = client.post("/feedback", json=payload, headers={"X-API-Key": API_KEY})
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["answer"] == answer["text"] and record["correct"] is True and record["rank"] == 1
    stored = (server.settings.labels_dir / "feedback.jsonl").read_text().splitlines()
    assert json.loads(stored[-1])["feedback_id"] == record["feedback_id"]


def test_import_reviews_then_ask_about_them(client: httpx.Client) -> None:
    csv = (
        "asin,body,stars\n"
        "RESTTEST01,The battery lasts two full days of heavy use.,5\n"
        "RESTTEST01,The screen scratches far too easily.,2\n"
        "RESTTEST01,,3\n"
    )
    form = {"columns": "item_id=asin,text=body,rating=stars", "domain": "rest-test"}
    files = {"file": ("my reviews.csv", csv.encode(), "text/csv")}
    problem(client.post("/reviews", data=form, files=files), 401)
    response = client.post("/reviews", data=form, files=files, headers={"X-API-Key": API_KEY})
    assert response.status_code == 201, response.text
    summary = response.json()
    assert summary["source"] == "my_reviews.csv" and summary["rows_read"] == 3 and summary["reviews"] == 2
    assert summary["written"] == 2 and summary["already_present"] == 0
    assert [row["line"] for row in summary["bad_rows"]] == [4]
    again = client.post("/reviews", data=form, files=files, headers={"X-API-Key": API_KEY}).json()
    assert again["written"] == 0 and again["already_present"] == 2

    result = client.post(
        "/ask", json={"question": "How long does the battery last?", "item_id": "RESTTEST01", "top_k_retriever": 2}
    ).json()
    assert {r["review"]["text"] for r in result["reviews"]} == {
        "The battery lasts two full days of heavy use.",
        "The screen scratches far too easily.",
    }
    assert client.get("/products/RESTTEST01").json()["count"] == 2

    bad = {"file": ("reviews.csv", b"id,comment\n1,hello\n", "text/csv")}
    body = problem(client.post("/reviews", files=bad, headers={"X-API-Key": API_KEY}), 400)
    assert body["detail"].startswith("reviews.csv: missing required column(s) item_id, text")
    assert "reviewqa-upload" not in body["detail"]
    nothing = {"file": ("file", b"null", "application/octet-stream")}
    body = problem(
        client.post("/reviews", data={"format": "jsonl"}, files=nothing, headers={"X-API-Key": API_KEY}), 400
    )
    assert (
        body["detail"]
        == "file: no reviews to import: every one of its 1 row(s) is bad: line 1: expected a JSON object, found null"
    )


def test_analyze_sentiment_of_a_product(client: httpx.Client) -> None:
    response = client.post("/analyze", json={"task": "sentiment", "item_id": KINDLE, "split": "test"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["task"] == "sentiment" and body["report"]["item_id"] == KINDLE
    items = body["report"]["items"]
    assert items and sum(body["counts"].values()) == len(items)
    assert all(i["sentiment"]["label"] in ("positive", "negative", "neutral") for i in items)
    problem(client.post("/analyze", json={"task": "sentiment"}), 400)  # neither a product nor a text


def test_busy_server_answers_503_with_retry_after(rest_settings: Settings) -> None:
    """One worker and no queue: while a question runs, the next request is refused at once.

    This server (in a thread, from `create_app`) has no API key: importing reviews is refused (403).
    """
    settings = rest_settings.with_overrides(api_workers=1, api_queue=0, api_retry_after=7)
    with thread_server(settings) as url, httpx.Client(base_url=url, timeout=120) as http:
        slow = {"question": QUESTION, "item_id": KINDLE, "top_k_retriever": 12, "top_k_reader": 5}
        with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=url, timeout=120) as other:
            first = pool.submit(other.post, "/ask", json=slow)
            while http.get("/health").json()["pool"]["in_flight"] == 0 and not first.done():
                time.sleep(0.01)
            refused = http.post("/ask", json={"question": QUESTION, "item_id": KINDLE})
            assert not first.done(), "the slow question finished before the second request"
            body = problem(refused, 503)
            assert refused.headers["retry-after"] == "7" and "busy" in body["detail"]
            assert first.result().status_code == 200
        assert http.post("/ask", json={"question": QUESTION, "item_id": KINDLE}).status_code == 200
        files = {"file": ("r.csv", b"item_id,text\nX,fine\n", "text/csv")}
        body = problem(http.post("/reviews", files=files, headers={"X-API-Key": API_KEY}), 403)
        assert "REVIEWQA_API_KEY" in body["detail"]


def test_missing_reader_shows_in_health_and_as_503(rest_settings: Settings, tmp_path: Path) -> None:
    """A reader that cannot be loaded: /health says why (503), /ask answers 503 with the same reason."""
    settings = rest_settings.with_overrides(reader_model=str(tmp_path / "no-such-reader"))
    with thread_server(settings, ready=False) as url, httpx.Client(base_url=url, timeout=120) as http:
        deadline = time.monotonic() + 120
        while (health := http.get("/health")).json()["status"] == "starting" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "unavailable" and body["store"]["ready"] and not body["reader"]["ready"]
        assert "no-such-reader" in body["reader"]["detail"]
        asked = problem(http.post("/ask", json={"question": QUESTION, "item_id": KINDLE}), 503)
        assert asked["detail"] == body["reader"]["detail"]
        assert http.get("/products", params={"limit": 1}).status_code == 200  # the store still answers
