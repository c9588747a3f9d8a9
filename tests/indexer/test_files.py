"""indexer.sources.files: one reader for every input file, with the file, line and byte in each error."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.sources.files import CsvFile, read_text
from indexer.sources.user_reviews import BadRowPolicy, load_user_reviews
from qa.errors import DataError


def write(tmp_path: Path, text: str | bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def rows(path: Path) -> list[tuple[int, list[str] | None, str | None]]:
    return [(r.line, r.fields, r.problem) for r in CsvFile(path).records()]


def test_read_text_names_the_line_column_and_offset_of_a_bad_byte(tmp_path: Path) -> None:
    path = write(tmp_path, b"a,b\nok,fine\nx,caf\xe9 au lait\n")
    with pytest.raises(DataError, match=r"f.csv: line 3, column 6: byte 0xe9 at byte offset 17 is not valid UTF-8"):
        read_text(path)


def test_read_text_drops_a_bom_and_names_folders_and_missing_files(tmp_path: Path) -> None:
    assert read_text(write(tmp_path, "\ufeffa,b\n".encode())) == "a,b\n"
    with pytest.raises(DataError, match="is a folder, not a file"):
        read_text(tmp_path)
    with pytest.raises(DataError, match=r"nope\.csv: file not found"):
        read_text(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('a,b\n1,"never closed\n2,x\n3,y\n', 2),  # swallows the rest of the file
        ('a,b\r\n1,x\r\n2,"at the very end\r\n', 3),  # CRLF, on the last line
        ('a,"b\n1,2\n', 1),  # in the header
    ],
)
def test_an_unterminated_quote_is_named_with_its_line(tmp_path: Path, text: str, line: int) -> None:
    with pytest.raises(DataError, match=f"unterminated quote starting on line {line}: everything after it"):
        rows(CsvFile(write(tmp_path, text)).path)


def test_a_quote_that_swallows_lines_in_the_middle_is_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b,c\n1,"oops\n2,y,z\n3,z"\n4,q,r\n')  # the quote closes only on line 4
    (first, fields, problem), last = rows(path)
    assert first == 2 and fields is None
    assert (
        problem == "expected 3 fields, found 2: unterminated quote starting on line 2 (the quoted field runs to line 4)"
    )
    assert last == (5, ["4", "q", "r"], None)


def test_a_stray_quote_that_swallows_whole_records_with_the_right_field_count_is_a_bad_row(tmp_path: Path) -> None:
    # Lines 3 and 4 are whole records, read as text of record 2 because its quote closes on line 5.
    path = write(tmp_path, 'a,b,c\n1,"oops,x\n2,y,z\n3,y,z\n4,z",w\n5,q,r\n')
    (first, fields, problem), last = rows(path)
    assert first == 2 and fields is None
    assert problem is not None and problem.startswith("the quote on line 2 runs to line 5 and swallows 2 line(s)")
    assert last == (6, ["5", "q", "r"], None)


def test_a_multi_paragraph_review_is_not_mistaken_for_a_stray_quote(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b,c\n1,"First paragraph.\n\nSecond, with a comma, or two.\nEnd",5\n')
    assert rows(path) == [(2, ["1", "First paragraph.\n\nSecond, with a comma, or two.\nEnd", "5"], None)]


def test_quoted_newlines_and_doubled_quotes_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b\r\n1,"two\r\nlines, ""quoted"""\r\n\r\n2,x\r\n')
    assert rows(path) == [(2, ["1", 'two\r\nlines, "quoted"'], None), (5, ["2", "x"], None)]


def test_a_duplicated_header_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"line 1: column 'text' appears twice in the header \(columns 2 and 4\)"):
        CsvFile(write(tmp_path, "item_id,text,rating, text \nA,b,1,c\n"))


def test_a_field_over_the_csv_modules_limit_parses(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1," + "x" * 300_000 + "\n2,y\n")
    assert [(line, len(fields or [])) for line, fields, _ in rows(path)] == [(2, 2), (3, 2)]


def test_user_reviews_skip_only_the_review_that_is_too_long(tmp_path: Path) -> None:
    path = write(tmp_path, "item_id,text\nA,short\nB," + "y" * 100_001 + "\nC,also short\n")
    reviews, report, bad = load_user_reviews(path, on_bad_row=BadRowPolicy.SKIP)
    assert [r.item_id for r in reviews] == ["A", "C"] and report.rows_read == 3
    assert [(b.line, b.reason) for b in bad] == [(3, "review too long (100,001 chars, limit 100,000)")]


def test_jsonl_with_a_key_given_twice_is_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path, '{"item_id": "A", "text": "x"}\n{"item_id": "B", "text": "y", "text": "z"}\n', "r.jsonl")
    reviews, _, bad = load_user_reviews(path)
    assert [r.item_id for r in reviews] == ["A"] and [(b.line, b.reason) for b in bad] == [
        (2, "key 'text' appears twice in the object")
    ]
