"""SubjQA (Bjerva et al., EMNLP 2020): load the dataset's own CSV layout into project types.

Layout: `<dir>/<domain>/<split>.csv` (as copied from the public repository's
`SubjQA/<domain>/splits/<split>.csv`). One CSV row is one annotation; rows sharing a `q_review_id`
are one question about one review. Every review ends with the token ` ANSWERNOTFOUND`, which is
not part of the text. An answer's text is `review[start:end]` from `human_ans_indices`; the
`human_ans_spans` column is re-tokenised and is not used for text.
"""

from __future__ import annotations

import ast
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.sources.files import CsvFile
from qa.config import MAX_REVIEW_CHARS
from qa.errors import DataError
from qa.types import GoldAnswer, LoadReport, Question, Review

DOMAINS = ("books", "electronics", "grocery", "movies", "restaurants", "tripadvisor")
SPLITS = ("train", "dev", "test")
NO_ANSWER_TOKEN = "ANSWERNOTFOUND"  # noqa: S105 (a dataset marker, not a secret)
REQUIRED_COLUMNS = (
    "item_id",
    "domain",
    "q_review_id",
    "question",
    "review_id",
    "review",
    "human_ans_spans",
    "human_ans_indices",
    "is_ques_subjective",
)
#: Public source of the CSVs (used only by `download_subjqa`, when the user is online).
PUBLIC_URL = "https://raw.githubusercontent.com/megagonlabs/SubjQA/master/SubjQA/{domain}/splits/{split}.csv"


@dataclass
class SubjQASplit:
    """One domain's split: its questions (grouped annotations), its distinct reviews, and a report."""

    domain: str
    split: str
    questions: list[Question] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    report: LoadReport = field(default_factory=LoadReport)


def strip_no_answer_token(review: str) -> str:
    """Remove the trailing ` ANSWERNOTFOUND` token SubjQA appends to every review."""
    if review.endswith(NO_ANSWER_TOKEN):
        return review[: -len(NO_ANSWER_TOKEN)].rstrip()
    return review


def parse_span(raw: str) -> tuple[int, int] | None:
    """The (start, end) offsets of a `human_ans_indices` cell, or None when unreadable."""
    try:
        value = ast.literal_eval(raw)
        start, end = int(value[0]), int(value[1])
    except (ValueError, SyntaxError, TypeError, IndexError):
        return None
    return start, end


def _checked_answer(text: str, start: int, end: int) -> tuple[GoldAnswer | None, str | None]:
    """Return (answer, problem): the span clipped to the review when it runs past its end."""
    if start < 0 or start >= len(text) or end <= start:
        return None, f"span ({start}, {end}) outside review of {len(text)} chars: dropped"
    problem = None
    if end > len(text):
        # Annotators who selected up to the end of the page also selected the appended token.
        end = len(text)
        problem = f"span ({start}, {end}) ran past the review end: clipped"
    return GoldAnswer(text=text[start:end], start=start, end=end), problem


def split_path(source_dir: Path, domain: str, split: str) -> Path:
    """Path of one CSV in the dataset's layout."""
    return source_dir / domain / f"{split}.csv"


def load_subjqa(source_dir: Path, domain: str, split: str) -> SubjQASplit:
    """Load one domain/split of SubjQA from `source_dir` in the dataset's CSV layout."""
    return _group_rows(read_rows(source_dir, domain, split), domain, split)


def read_rows(source_dir: Path, domain: str, split: str) -> list[dict[str, str]]:
    """The CSV rows (one per annotation, in file order) of one domain/split, checked; DataError if unusable."""
    if domain not in DOMAINS:
        raise DataError(f"Unknown SubjQA domain {domain!r}; choose from {', '.join(DOMAINS)}.")
    if split not in SPLITS:
        raise DataError(f"Unknown split {split!r}; choose from {', '.join(SPLITS)}.")
    path = split_path(source_dir, domain, split)
    if not source_dir.is_dir():
        raise DataError(f"SubjQA directory not found: {source_dir}")
    if not path.is_file():
        raise DataError(f"SubjQA file not found: {path} (expected <dir>/<domain>/<split>.csv)")
    table = CsvFile(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.header]
    if missing:
        raise DataError(f"{path} is not a SubjQA CSV: missing columns {', '.join(missing)}")
    rows = []
    for record in table.records():
        if record.fields is None:
            raise DataError(f"{path}: line {record.line}: {record.problem}.")
        row = dict(zip(table.header, record.fields, strict=True))
        for column in ("review", "question"):
            if len(row[column]) > MAX_REVIEW_CHARS:
                raise DataError(
                    f"{path}: line {record.line}: {column} too long ({len(row[column]):,} chars, "
                    f"limit {MAX_REVIEW_CHARS:,})."
                )
        rows.append(row)
    return rows


def _group_rows(rows: Iterable[dict[str, str]], domain: str, split: str) -> SubjQASplit:
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        grouped.setdefault(row["q_review_id"], []).append(row)

    result = SubjQASplit(domain=domain, split=split)
    problems: list[str] = []
    repaired = dropped = rows_read = 0
    reviews: dict[str, Review] = {}
    for question_id, rows_of_question in grouped.items():
        first = rows_of_question[0]
        text = strip_no_answer_token(first["review"])
        answers: list[GoldAnswer] = []
        no_answer_votes = 0
        for row in rows_of_question:
            rows_read += 1
            if row["human_ans_spans"].strip() == NO_ANSWER_TOKEN:
                no_answer_votes += 1
                continue
            span = parse_span(row["human_ans_indices"])
            if span is None:
                dropped += 1
                problems.append(f"{question_id}: unreadable offsets {row['human_ans_indices']!r}: dropped")
                continue
            answer, problem = _checked_answer(text, *span)
            if problem:
                problems.append(f"{question_id}: {problem}")
                if answer is None:
                    dropped += 1
                else:
                    repaired += 1
            if answer is not None and answer not in answers:
                answers.append(answer)
        review = Review(item_id=first["item_id"], text=text, review_id=first["review_id"], domain=domain, split=split)
        reviews.setdefault(review.review_id or "", review)
        result.questions.append(
            Question(
                question_id=question_id,
                question=first["question"],
                item_id=first["item_id"],
                review_id=first["review_id"],
                review_text=text,
                domain=domain,
                split=split,
                answers=tuple(answers),
                is_subjective=first["is_ques_subjective"].strip().lower() == "true",
                no_answer_votes=no_answer_votes,
            )
        )
    result.reviews = list(reviews.values())
    result.report = LoadReport(rows_read=rows_read, repaired=repaired, dropped=dropped, problems=tuple(problems))
    return result


def download_subjqa(target_dir: Path, domains: Iterable[str], timeout: float = 30.0) -> Path:
    """Fetch the CSVs of `domains` from the dataset's public repository into `target_dir`.

    Needs internet access; offline it raises DataError telling the user to pass a local directory.
    """
    for domain in domains:
        for split in SPLITS:
            destination = split_path(target_dir, domain, split)
            if destination.is_file():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            url = PUBLIC_URL.format(domain=domain, split=split)
            partial = destination.with_suffix(".csv.part")
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
                    partial.write_bytes(response.read())
            except (urllib.error.URLError, OSError) as error:
                partial.unlink(missing_ok=True)
                raise DataError(
                    f"Could not download SubjQA ({error}). Offline, pass a local copy with --subjqa-dir "
                    "or SUBJQA_DIR (layout <dir>/<domain>/<split>.csv)."
                ) from error
            partial.replace(destination)
    return target_dir
