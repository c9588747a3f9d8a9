"""Tests for importing a user's own reviews from CSV and JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.sources.user_reviews import (
    BadRow,
    BadRowPolicy,
    ColumnMapping,
    load_user_reviews,
)
from qa.errors import DataError
from qa.types import LoadReport, Review


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --- ColumnMapping.parse ---------------------------------------------------------------------


def test_parse_mapping_good() -> None:
    mapping = ColumnMapping.parse(" item_id = asin , text=body,rating=stars ")
    assert mapping == ColumnMapping(item_id="asin", text="body", rating="stars")
    assert mapping.review_id == "review_id" and mapping.title == "title"


@pytest.mark.parametrize("spec", [None, "", "  "])
def test_parse_mapping_empty_gives_defaults(spec: str | None) -> None:
    assert ColumnMapping.parse(spec) == ColumnMapping()


def test_parse_mapping_empty_value_disables_optional_field() -> None:
    assert ColumnMapping.parse("rating=").rating is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("item=asin", "unknown field 'item'"),
        ("item_id", "expected field=column"),
        ("=asin", "expected field=column"),
        ("text=", "required field 'text'"),
        ("text=a,text=b", "given twice"),
    ],
)
def test_parse_mapping_bad(spec: str, expected: str) -> None:
    with pytest.raises(DataError) as info:
        ColumnMapping.parse(spec)
    assert expected in str(info.value)


def test_parse_mapping_error_lists_valid_keys() -> None:
    with pytest.raises(DataError, match="valid keys: item_id, text, review_id, title, rating"):
        ColumnMapping.parse("stars=rating")


# --- CSV -------------------------------------------------------------------------------------


def test_csv_good_with_custom_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.csv",
        "asin,body,stars,headline,id\n B001 ,  Great battery life.  ,4.5,Nice, r1 \nB002,Too loud.,,,\n",
    )
    mapping = ColumnMapping.parse("item_id=asin,text=body,rating=stars,title=headline,review_id=id")
    reviews, report, bad = load_user_reviews(path, mapping, domain="electronics")
    assert reviews == [
        Review(
            item_id="B001",
            text="Great battery life.",
            review_id="r1",
            domain="electronics",
            split=None,
            title="Nice",
            rating=4.5,
        ),
        Review(
            item_id="B002", text="Too loud.", review_id=None, domain="electronics", split=None, title=None, rating=None
        ),
    ]
    assert report == LoadReport(rows_read=2, dropped=0, problems=())
    assert bad == []


def test_csv_default_optional_columns_may_be_absent(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "item_id,text\nA,ok\n")
    reviews, _, _ = load_user_reviews(path)
    assert reviews == [Review(item_id="A", text="ok")]


def test_csv_explicitly_mapped_optional_column_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "item_id,text\nA,ok\n")
    with pytest.raises(DataError, match="'stars'"):
        load_user_reviews(path, ColumnMapping(rating="stars"))


def test_csv_missing_required_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "product,text,rating\nA,ok,5\n")
    with pytest.raises(DataError) as info:
        load_user_reviews(path)
    message = str(info.value)
    assert "missing required column(s) item_id" in message
    assert "product, text, rating" in message


def test_csv_bad_rows_skipped_with_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "item_id,text,rating\n"  # line 1
        "A,fine,5\n"  # line 2
        "  ,no item,3\n"  # line 3: empty item_id
        "B,   ,3\n"  # line 4: whitespace-only text
        "C,ok,five\n"  # line 5: bad rating
        "D,too,many,fields\n"  # line 6: wrong field count
        "\n"  # line 7: blank, ignored
        "E,also fine,\n",  # line 8
    )
    reviews, report, bad = load_user_reviews(path)
    assert [r.item_id for r in reviews] == ["A", "E"]
    assert reviews[1].rating is None
    assert [b.line for b in bad] == [3, 4, 5, 6]
    assert "item_id" in bad[0].reason
    assert "text" in bad[1].reason
    assert bad[2] == BadRow(5, "rating 'five' is not a number")
    assert bad[3] == BadRow(6, "expected 3 fields, found 4")
    assert report.rows_read == 6
    assert report.dropped == 4
    assert report.problems[2] == "line 5: rating 'five' is not a number"
    assert [p.split(":")[0] for p in report.problems] == ["line 3", "line 4", "line 5", "line 6"]


def test_csv_multiline_field_keeps_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "item_id,text\n"  # line 1
        'A,"first line\n'  # line 2: record starts
        "second line\n"  # line 3
        'third line"\n'  # line 4: record ends
        ",orphan\n"  # line 5: bad (no item_id)
        'B,"two\r\nlines"\r\n'  # lines 6-7, CRLF
        "C,\n",  # line 8: bad (no text)
    )
    reviews, report, bad = load_user_reviews(path)
    assert reviews[0].text == "first line\nsecond line\nthird line"
    assert [r.item_id for r in reviews] == ["A", "B"]
    assert [b.line for b in bad] == [5, 8]
    assert report.rows_read == 4


def load_error(path: Path, policy: BadRowPolicy) -> str:
    """The message of the DataError loading `path` under `policy` raises."""
    with pytest.raises(DataError) as info:
        load_user_reviews(path, on_bad_row=policy)
    return str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "policy", "fragments"),
    [
        ("r.csv", "item_id,text\nA,ok\n,x\nB,\n", BadRowPolicy.REJECT, ["2 bad row(s)", "line 3:", "line 4:"]),
        (  # skipping every row would import nothing: an error too
            "r.jsonl",
            'null\n{"item_id": "A"}\n',
            BadRowPolicy.SKIP,
            [
                "no reviews to import: every one of its 2 row(s) is bad",
                "line 1: expected a JSON object, found null",
                "line 2:",
            ],
        ),
    ],
    ids=["reject-names-the-bad-lines", "skip-with-every-row-bad"],
)
def test_the_error_names_the_bad_lines(
    tmp_path: Path, name: str, content: str, policy: BadRowPolicy, fragments: list[str]
) -> None:
    message = load_error(write(tmp_path, name, content), policy)
    assert all(fragment in message for fragment in fragments), message


def test_reject_lists_only_first_ten(tmp_path: Path) -> None:
    rows = "".join(f",text {i}\n" for i in range(12))  # lines 2..13, all bad
    path = write(tmp_path, "r.csv", "item_id,text\n" + rows)
    message = load_error(path, BadRowPolicy.REJECT)
    assert "12 bad row(s)" in message
    assert "line 11:" in message and "line 12:" not in message
    assert "and 2 more" in message


def test_reject_without_bad_rows_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "item_id,text\nA,ok\n")
    reviews, _, _ = load_user_reviews(path, on_bad_row=BadRowPolicy.REJECT)
    assert len(reviews) == 1


def test_a_csv_with_only_a_header_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "item_id,text\n")
    with pytest.raises(DataError, match="no reviews to import: the file has a header but no rows"):
        load_user_reviews(path)


def test_unparseable_rating(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "item_id,text,rating\nA,ok,4/5\nB,ok,nan\nC,ok, 3 \n")
    reviews, _, bad = load_user_reviews(path)
    assert [(b.line, b.reason) for b in bad] == [
        (2, "rating '4/5' is not a number"),
        (3, "rating 'nan' is not a number"),
    ]
    assert reviews == [Review(item_id="C", text="ok", rating=3.0)]


def test_csv_with_bom_and_file_format_override(tmp_path: Path) -> None:
    path = write(tmp_path, "export.txt", "\ufeffitem_id,text\nA,ok\n".encode())
    reviews, _, _ = load_user_reviews(path, file_format="csv")
    assert reviews == [Review(item_id="A", text="ok")]


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"asin": "A", "body": " good ", "stars": 5, "review_id": "r1"}),  # line 1
        "{not json",  # line 2
        json.dumps(["A", "array"]),  # line 3
        json.dumps({"asin": "B"}),  # line 4: missing text
        json.dumps({"asin": 7, "body": "numeric id", "stars": "2.5"}),  # line 5
    ]
    path = write(tmp_path, "r.jsonl", "\n".join(lines) + "\n")
    mapping = ColumnMapping.parse("item_id=asin,text=body,rating=stars")
    reviews, report, bad = load_user_reviews(path, mapping, domain="books")
    assert reviews == [
        Review(item_id="A", text="good", review_id="r1", domain="books", rating=5.0),
        Review(item_id="7", text="numeric id", domain="books", rating=2.5),
    ]
    assert [b.line for b in bad] == [2, 3, 4]
    assert bad[0].reason.startswith("invalid JSON")
    assert bad[1].reason == "expected a JSON object, found an array"
    assert "text" in bad[2].reason
    assert report == LoadReport(rows_read=5, dropped=3, problems=tuple(f"line {b.line}: {b.reason}" for b in bad))


def test_jsonl_blank_lines_ignored_but_counted(tmp_path: Path) -> None:
    content = (
        '{"item_id": "A", "text": "one"}\n'  # line 1
        "\n"  # line 2
        "   \r\n"  # line 3
        '{"item_id": "B", "text": ""}\r\n'  # line 4: empty text
        "\n"  # line 5
        '{"item_id": "C", "text": "three", "rating": null}\n'  # line 6
        '{"item_id": "D", "text": ["x"]}\n'  # line 7: text not a string
    )
    path = write(tmp_path, "r.ndjson", content)
    reviews, report, bad = load_user_reviews(path)
    assert [r.item_id for r in reviews] == ["A", "C"]
    assert [b.line for b in bad] == [4, 7]
    assert report.rows_read == 4


def test_jsonl_reject(tmp_path: Path) -> None:
    path = write(tmp_path, "r.jsonl", '{"item_id": "A", "text": "ok"}\n\n[1]\n')
    with pytest.raises(DataError, match="line 3: expected a JSON object"):
        load_user_reviews(path, on_bad_row=BadRowPolicy.REJECT)


# --- whole-file errors -----------------------------------------------------------------------


def test_json_suffix_is_rejected_with_advice(tmp_path: Path) -> None:
    path = write(tmp_path, "r.json", '[{"item_id": "A", "text": "ok"}]')
    with pytest.raises(DataError, match="one JSON object per line"):
        load_user_reviews(path)


def test_unknown_suffix_and_format(tmp_path: Path) -> None:
    path = write(tmp_path, "r.xlsx", "x")
    with pytest.raises(DataError, match="cannot tell the format"):
        load_user_reviews(path)
    with pytest.raises(DataError, match="unknown file format"):
        load_user_reviews(path, file_format="parquet")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_user_reviews(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "\n  \n")
    with pytest.raises(DataError, match="empty"):
        load_user_reviews(path)


def test_encoding_error(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", b"item_id,text\nA,caf\xe9\n")
    with pytest.raises(DataError, match="UTF-8"):
        load_user_reviews(path)
