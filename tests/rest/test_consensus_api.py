"""POST /ask with `"consensus": true`: the review consensus as a field of the answer, over HTTP."""

from __future__ import annotations

import html

import httpx

from qa.api import ReviewQA
from tests.rest.conftest import KINDLE, Server

QUESTION = "How long does the battery last?"


def test_ask_returns_the_consensus_when_asked(client: httpx.Client, server: Server) -> None:
    plain = client.post("/ask", json={"question": QUESTION, "item_id": KINDLE})
    assert plain.status_code == 200 and plain.json()["consensus"] is None

    request = {"question": QUESTION, "item_id": KINDLE, "consensus": True, "consensus_reviews": 5}
    response = client.post("/ask", json=request)
    assert response.status_code == 200, response.text
    body = response.json()["consensus"]
    expected = ReviewQA(server.settings).consensus(QUESTION, item_id=KINDLE, max_reviews=5)
    assert body["sentence"] == expected.sentence and body["topic"] == "the battery"
    assert (body["reviews_read"], body["reviews_total"]) == (5, expected.reviews_total)
    assert body["mentioning"] == expected.mentioning == sum(g["reviews"] for g in body["groups"])
    for group in body["groups"]:
        assert group["sentiment"] in ("positive", "negative", "neutral") and group["quotes"]
        assert group["label"] == html.unescape(group["quotes"][0]["answer"]["text"])
        for quote in group["quotes"]:
            answer = quote["answer"]
            assert answer["review"]["item_id"] == KINDLE
            assert answer["review"]["text"][answer["start"] : answer["end"]] == answer["text"]

    bad = client.post("/ask", json={**request, "consensus_reviews": 0})
    assert bad.status_code == 422
