"""Bad input through the command line, in-process: exit code 1, one `Error:` line, the store as it was.

Every case runs `reviewqa` (the Typer app, through `typer.testing.CliRunner`, which calls the same
`main()` as the console script) on its own copy of a small index, then checks that the copy's
documents (count and ids), gold labels and files are unchanged. The API's messages are the CLI's
(`test_api_and_cli_say_the_same`); the API-only cases are in tests/qa/test_bad_input.py.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from qa.api import ReviewQA
from qa.cli import app
from qa.cli.errors import INTERRUPTED_MESSAGE
from qa.config import Settings
from qa.errors import ReviewQAError
from qa.stores.factory import open_labels

REPO = Path(__file__).resolve().parents[2]
#: Questions kept per split in the small SubjQA copy (whole questions: every annotation row of each).
SLICE = {"train": 20, "dev": 20, "test": 10}


# -- fixtures ------------------------------------------------------------------------------------
def _slice_csv(source: Path, target: Path, questions: int) -> None:
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    column = header.index("q_review_id")
    kept: list[str] = []
    out = [header]
    for row in body:
        if row[column] not in kept:
            if len(kept) == questions:
                continue
            kept.append(row[column])
        out.append(row)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(out)


@pytest.fixture(scope="session")
def small_subjqa(tmp_path_factory: pytest.TempPathFactory, subjqa_dir: Path) -> Path:
    """SubjQA electronics cut to its first questions (20 / 20 / 10), in the dataset's layout."""
    root = tmp_path_factory.mktemp("small-subjqa")
    for split, questions in SLICE.items():
        _slice_csv(subjqa_dir / "electronics" / f"{split}.csv", root / "electronics" / f"{split}.csv", questions)
    return root


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory, small_subjqa: Path) -> Path:
    """A data dir holding the small copy, indexed once per session (every case works on a copy of it)."""
    data = tmp_path_factory.mktemp("small-index") / "data"
    ReviewQA(Settings(data_dir=data, device="cpu")).index_subjqa(
        ["electronics"], source_dir=small_subjqa, progress=False
    )
    return data


@pytest.fixture(scope="session")
def item(small_index: Path) -> str:
    """A product of the small index's test split."""
    return open_labels(Settings(data_dir=small_index)).read("electronics", "test")[0].item_id


@pytest.fixture
def data_dir(small_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This case's own copy of the small index, named by REVIEWQA_DATA_DIR."""
    copy = tmp_path / "data"
    shutil.copytree(small_index, copy)
    monkeypatch.setenv("REVIEWQA_DATA_DIR", str(copy))
    monkeypatch.delenv("SUBJQA_DIR", raising=False)
    for name in ("REVIEWQA_READER", "REVIEWQA_DEVICE", "REVIEWQA_NO_ANSWER_BOOST", "ES_URL"):
        monkeypatch.delenv(name, raising=False)
    return copy


def snapshot(data: Path) -> dict[str, Any]:
    """What must not change: the documents (count, ids, contents), the gold labels, every file outside the store.

    The store's own files are compared through its documents: a database file may be rewritten by reading it.
    """
    settings = Settings(data_dir=data, device="cpu")
    documents = ReviewQA(settings).store.filter_documents()
    ids = sorted(d.id for d in documents)
    contents = hashlib.sha256(
        "".join(sorted(f"{d.id}\t{d.content}\t{json.dumps(d.meta, sort_keys=True)}\n" for d in documents)).encode()
    ).hexdigest()
    labels = open_labels(settings)
    questions = {f"{d}/{s}": [q.question_id for q in labels.read(d, s)] for d, s in labels.available()}
    files = {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        if p.is_file() and p.relative_to(data).parts[0] != "store"
    }
    return {"count": len(ids), "ids": ids, "contents": contents, "labels": questions, "files": files}


def run(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, args, env=env)


def error_line(result: Result) -> str:
    """The one `Error:` line of a failed command, after checking there is nothing else (no traceback, no box)."""
    everything = result.stdout + result.stderr
    assert result.exit_code == 1, (result.exit_code, everything, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not an exception escaping the CLI
    assert "Traceback" not in everything and "╭" not in everything and "│" not in everything, everything
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# -- inputs the cases write ----------------------------------------------------------------------
def subjqa_copy(tmp: Path, source: Path, edit: Callable[[str], str] | None = None, raw: bytes | None = None) -> Path:
    """A copy of the small SubjQA with electronics/train.csv rewritten by `edit` (or replaced by `raw` bytes)."""
    target = tmp / "subjqa-copy"
    shutil.copytree(source, target)
    train = target / "electronics" / "train.csv"
    if raw is not None:
        train.write_bytes(raw)
    elif edit is not None:
        train.write_text(edit(train.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    return target


def _records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _non_utf8(tmp: Path, source: Path) -> Path:
    data = (source / "electronics" / "train.csv").read_bytes()
    third = data.index(b"\n", data.index(b"\n") + 1) + 1  # the start of line 3
    return subjqa_copy(tmp, source, raw=data[:third] + b"\xff" + data[third:])


def _duplicate_header(text: str) -> str:
    header, rest = text.split("\n", 1)
    return header.replace("human_ans_spans", "review", 1) + "\n" + rest


def _unterminated_quote(text: str) -> str:
    return text + 'B00NOQUOTE,electronics,"the quote never closes\nB00LOST,electronics,swallowed\n'


def _missing_columns(text: str) -> str:
    return text.replace("human_ans_indices", "indices", 1)


def _too_long(text: str) -> str:
    rows = _records(text)
    rows[1][rows[0].index("review")] = "x" * 150_000  # the record on line 2
    return _csv_text(rows)


def _short_row(text: str) -> str:
    rows = _records(text)
    return _csv_text([rows[0], ["B00SHORT", "electronics", "only three"], *rows[1:]])


def reviews_file(tmp: Path, name: str, text: str | bytes) -> Path:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def folder(path: Path) -> Path:
    path.mkdir()
    return path


GOOD_CSV = "item_id,text\nMY-1,The battery lasts ten hours.\nMY-1,Sound is tinny.\n"


class _FullDiskConnection(sqlite3.Connection):
    """An SQLite connection on a full disk: reading works, every change fails as SQLite reports it."""

    _CHANGES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE")

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith(self._CHANGES):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith(self._CHANGES):
            raise sqlite3.OperationalError("database or disk is full")
        return super().executemany(sql, *args)


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk (ENOSPC) for every writer: each fsync fails, and so does each change an SQLite store makes."""

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    connect = sqlite3.connect
    monkeypatch.setattr(os, "fsync", no_space)
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **{**k, "factory": _FullDiskConnection}))


def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating or writing any file fails as on a read-only file system (chmod does not stop root)."""
    real_open = os.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & writing:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EROFS, os.strerror(errno.EROFS))))


# -- the cases -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ctx:
    tmp: Path
    data: Path
    subjqa: Path  # the small copy (already in the index: indexing it again writes nothing)
    full: Path  # the real SubjQA (indexing it writes)
    item: str


@dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[Ctx], list[str]]
    message: str
    env: dict[str, str] = field(default_factory=dict)
    patch: Callable[[pytest.MonkeyPatch], None] | None = None


def ask(*extra: str, question: str = "Is it good?") -> Callable[[Ctx], list[str]]:
    return lambda c: ["ask", question, "--item", c.item, *extra]


def index(*extra: str, source: Callable[[Ctx], Path] | None = None) -> Callable[[Ctx], list[str]]:
    return lambda c: ["index", "--subjqa-dir", str(source(c) if source else c.subjqa), "-q", *extra]


def analyze(task: str, *extra: str) -> Callable[[Ctx], list[str]]:
    return lambda c: ["analyze", "--item", c.item, "--task", task, *extra]


def from_copy(edit: Callable[[str], str]) -> Callable[[Ctx], Path]:
    return lambda c: subjqa_copy(c.tmp, c.subjqa, edit)


def import_file(name: str, text: str | bytes, *extra: str) -> Callable[[Ctx], list[str]]:
    return lambda c: ["import-reviews", str(reviews_file(c.tmp, name, text)), "-q", *extra]


LONG_REVIEW_CSV = "item_id,text\nMY-1,ok\nMY-2," + "x" * 200_000 + "\n"

CASES = [
    # ask: the question, the product, the split, the numbers, the choices, the models
    Case("ask-blank", ask(question="   "), "The question is empty"),
    Case("ask-invisible", ask(question="\u200b\u200d\u2060"), "The question is empty"),
    Case("ask-too-long", ask(question="x" * 10_000), "The question has 10000 characters; the limit is 1000"),
    Case("ask-unknown-product", lambda c: ["ask", "Is it good?", "--item", "NOPE"], "No reviews of product 'NOPE'"),
    Case("ask-empty-product", lambda c: ["ask", "Is it good?", "--item", " "], "The product id is empty"),
    Case("ask-unknown-split", ask("--split", "nosuch"), "Unknown split 'nosuch': use one of train, dev, test"),
    Case("ask-top-k-negative", ask("--top-k-retriever", "-1"), "top_k_retriever must be from 1 to 100, not -1"),
    Case("ask-top-k-zero", ask("--top-k-reader", "0"), "top_k_reader must be from 1 to 100, not 0"),
    Case("ask-top-k-huge", ask("--top-k-retriever", str(10**12)), "top_k_retriever must be from 1 to 100"),
    Case("ask-top-k-fraction", ask("--top-k-retriever", "2.5"), "Invalid value for '--top-k-retriever'"),
    Case("ask-mode", ask("--mode", "poetry"), "--mode must be extractive or generative"),
    Case("ask-missing-model", ask("--reader", "/no/such/model"), "Model path does not exist: /no/such/model"),
    Case("ask-hub-offline", ask("--reader", "deepset/minilm-uncased-squad2"), "not in the local model cache"),
    Case("ask-retriever", ask("--retriever", "grep"), "--retriever must be one of bm25, embedding, dpr, hybrid"),
    Case("ask-device", ask("--device", "tpu"), "--device must be auto, cpu or cuda, not 'tpu'"),
    Case("ask-store", ask("--store", "csv"), "--store must be one of embedded, faiss, elasticsearch"),
    # usage mistakes Click finds: one line and exit 1 too
    Case("ask-missing-item", lambda c: ["ask", "Is it good?"], "Missing option '--item'. See `"),
    Case("ask-unknown-option", ask("--frobnicate"), "No such option: --frobnicate"),
    Case("unknown-command", lambda c: ["frobnicate"], "No such command 'frobnicate'"),
    # hub models named while offline: one line at once, for every NLP task and the SAS metric
    *(
        Case(
            f"analyze-{task}-hub-offline",
            analyze(task, option, "someone/no-such-model"),
            "not in the local model cache",
        )
        for task, option in (
            ("sentiment", "--sentiment-model"),
            ("ner", "--ner-model"),
            ("summary", "--summary-model"),
        )
    ),
    Case(
        "analyze-translate-hub-offline",
        lambda c: [
            "analyze",
            "--task",
            "translate",
            "--text",
            "Bom?",
            "--translation-model",
            "someone/opus-{src}-{tgt}",
        ],
        "translation model 'someone/opus-pt-en' is not in the local model cache",
    ),
    Case(
        "eval-sas-hub-offline",
        lambda c: ["eval", "pipeline", "--limit", "1", "--sas-model", "someone/no-such-model"],
        "answer-similarity model 'someone/no-such-model' is not in the local model cache",
    ),
    # the argparse-based eval commands keep the same promise
    Case("eval-readers-no-reader", lambda c: ["eval", "readers"], "the following arguments are required: --reader"),
    Case(
        "eval-retrievers-bad-limit",
        lambda c: ["eval", "retrievers", "--limit", "some"],
        "argument --limit: invalid int value: 'some'. See `python -m eval.compare_retrievers --help`",
    ),
    # products
    Case("products-unknown-split", lambda c: ["products", "--split", "nosuch"], "Unknown split 'nosuch'"),
    Case("products-limit-zero", lambda c: ["products", "--limit", "0"], "Invalid value for '--limit'"),
    Case("products-absent-domain", lambda c: ["products", "--domain", "grocery"], "No reviews in domain 'grocery'"),
    # settings, from flags and the environment
    Case(
        "data-dir-is-a-file",
        lambda c: ["products", "--data-dir", str(reviews_file(c.tmp, "file", "x"))],
        "is not a folder",
    ),
    Case(
        "data-dir-below-a-file",
        lambda c: ["products", "--data-dir", str(reviews_file(c.tmp, "file", "x") / "data")],
        "is a file",
    ),
    Case("es-url", lambda c: ["products"], "ES_URL must be an http(s) URL", env={"ES_URL": "not a url"}),
    Case("env-device", lambda c: ["products"], "The device must be one of", env={"REVIEWQA_DEVICE": "tpu"}),
    Case("env-boost", ask(), "REVIEWQA_NO_ANSWER_BOOST must be a number", env={"REVIEWQA_NO_ANSWER_BOOST": "lots"}),
    Case(
        "env-empty-data-dir",
        lambda c: ["products"],
        "REVIEWQA_DATA_DIR is set but empty",
        env={"REVIEWQA_DATA_DIR": ""},
    ),
    # index: SubjQA folders and CSVs
    Case("index-missing-dir", lambda c: ["index", "--subjqa-dir", "/no/such/dir"], "SubjQA directory not found"),
    Case("index-unknown-domain", index("--domain", "nosuch"), "Unknown SubjQA domain 'nosuch'"),
    Case("index-absent-domain", index("--domain", "grocery"), "SubjQA file not found"),
    Case("index-unknown-split", index("--split", "nosuch"), "Unknown split 'nosuch'"),
    Case(
        "index-not-utf8",
        index(source=lambda c: _non_utf8(c.tmp, c.subjqa)),
        "train.csv: line 3, column 1: byte 0xff at byte offset",
    ),
    Case("index-duplicate-header", index(source=from_copy(_duplicate_header)), "column 'review' appears twice"),
    Case(
        "index-unterminated-quote", index(source=from_copy(_unterminated_quote)), "unterminated quote starting on line"
    ),
    Case("index-missing-columns", index(source=from_copy(_missing_columns)), "missing columns human_ans_indices"),
    Case("index-review-too-long", index(source=from_copy(_too_long)), "line 2: review too long (150,000 chars"),
    Case("index-short-row", index(source=from_copy(_short_row)), "line 2: expected 19 fields, found 3"),
    Case(
        "index-full-disk",
        index(source=lambda c: c.full),
        "disk is full",  # the store's own message or the project's: either way, what to do
        patch=full_disk,
    ),
    Case(
        "index-read-only",
        index(source=lambda c: c.full),
        "read-only",
        patch=read_only,
    ),
    # import-reviews: the user's own files
    Case("import-missing-file", lambda c: ["import-reviews", str(c.tmp / "nope.csv")], "nope.csv: file not found"),
    Case("import-folder", lambda c: ["import-reviews", str(folder(c.tmp / "reviews.csv"))], "is a folder, not a file"),
    Case("import-json", import_file("mine.json", "[]"), "convert to JSON Lines"),
    Case("import-format", import_file("mine.csv", GOOD_CSV, "--format", "xml"), "unknown file format 'xml'"),
    Case("import-mapping", import_file("mine.csv", GOOD_CSV, "--columns", "item_id"), "expected field=column"),
    Case(
        "import-policy",
        import_file("mine.csv", GOOD_CSV, "--on-bad-row", "maybe"),
        "--on-bad-row must be skip or reject",
    ),
    Case("import-missing-columns", import_file("mine.csv", "asin,stars\nB01,5\n"), "missing required column(s)"),
    Case(
        "import-duplicate-header", import_file("mine.csv", "item_id,text,text\nA,b,c\n"), "column 'text' appears twice"
    ),
    Case(
        "import-unterminated-quote",
        import_file("mine.csv", 'item_id,text\nMY-1,ok\nMY-2,"never closed\nMY-3,lost\n', "--on-bad-row", "skip"),
        "unterminated quote starting on line 3",
    ),
    Case("import-not-utf8", import_file("mine.csv", b"item_id,text\nMY-1,caf\xe9\n"), "line 2, column 9: byte 0xe9"),
    Case("import-empty", import_file("mine.csv", " \n"), "file is empty"),
    Case(
        "import-reject-too-long",
        import_file("mine.csv", LONG_REVIEW_CSV, "--on-bad-row", "reject"),
        "line 3: review too long (200,000 chars, limit 100,000)",
    ),
    Case(
        "import-jsonl-duplicate-key",
        import_file("mine.jsonl", '{"item_id": "A", "text": "x", "text": "y"}\n', "--on-bad-row", "reject"),
        "line 1: key 'text' appears twice",
    ),
    Case("import-full-disk", import_file("mine.csv", GOOD_CSV), "disk is full", patch=full_disk),
    Case(
        "feedback-export-full-disk",
        lambda c: ["feedback", "export", str(c.tmp / "out.csv")],
        "No space left on device",
        patch=full_disk,
    ),
    # eval and training: numbers and splits checked before any work
    Case("eval-unknown-split", lambda c: ["eval", "retriever", "--split", "nosuch"], "Unknown split 'nosuch'"),
    Case("eval-limit-zero", lambda c: ["eval", "retriever", "--limit", "0"], "Invalid value for '--limit'"),
    Case(
        "eval-domain-not-indexed", lambda c: ["eval", "retriever", "--domain", "grocery"], "No gold labels for grocery"
    ),
    Case("train-reader-nan-epochs", lambda c: ["train-reader", "--epochs", "nan"], "Invalid value for '--epochs'"),
    Case(
        "train-reader-no-examples",
        lambda c: ["train-reader", "--max-examples", "0"],
        "max_examples must be a whole number above 0, not 0",
    ),
    Case("train-reader-negative-lr", lambda c: ["train-reader", "--lr", "-1"], "learning_rate (--lr) must be"),
    Case("train-reader-negative-seed", lambda c: ["train-reader", "--seed", "-1"], "Invalid value for '--seed'"),
    Case("feedback-export-format", lambda c: ["feedback", "export", str(c.tmp / "x.pdf")], "Cannot export feedback"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_error_line_and_leaves_the_store(
    case: Case,
    data_dir: Path,
    small_subjqa: Path,
    subjqa_dir: Path,
    item: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = Ctx(tmp=tmp_path, data=data_dir, subjqa=small_subjqa, full=subjqa_dir, item=item)
    args = case.args(ctx)
    before = snapshot(data_dir)
    if case.patch is not None:
        case.patch(monkeypatch)
    result = run(args, env=case.env or None)
    monkeypatch.undo()
    line = error_line(result)
    assert case.message in line, line
    assert snapshot(data_dir) == before


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)


# -- the API says what the CLI says --------------------------------------------------------------
PARITY = [
    (["   "], {}, "The question is empty."),
    (["x" * 1001], {}, "The question has 1001 characters; the limit is 1000."),
    (["Is it good?", "--split", "nosuch"], {"split": "nosuch"}, "Unknown split 'nosuch': use one of train, dev, test."),
    (
        ["Is it good?", "--top-k-retriever", "-1"],
        {"top_k_retriever": -1},
        "top_k_retriever must be from 1 to 100, not -1.",
    ),
    (["Is it good?", "--top-k-reader", "0"], {"top_k_reader": 0}, "top_k_reader must be from 1 to 100, not 0."),
]


@pytest.mark.parametrize(("cli_args", "api_kwargs", "message"), PARITY)
def test_api_and_cli_say_the_same(
    data_dir: Path, item: str, cli_args: list[str], api_kwargs: dict, message: str
) -> None:
    line = error_line(run(["ask", *cli_args[:1], "--item", item, *cli_args[1:]]))
    with pytest.raises(ReviewQAError) as raised:
        ReviewQA(Settings.from_env()).ask(cli_args[0], item_id=item, **api_kwargs)
    assert line == f"Error: {message}" == f"Error: {raised.value}"


# -- data kept, not lost -------------------------------------------------------------------------
def test_indexing_another_copy_merges_the_gold_labels(
    indexed_settings: Settings, small_subjqa: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "full"
    shutil.copytree(indexed_settings.data_dir, data)
    monkeypatch.setenv("REVIEWQA_DATA_DIR", str(data))
    labels = open_labels(Settings(data_dir=data))
    before = {s: labels.read("electronics", s) for s in ("train", "dev", "test")}
    assert [len(q) for q in before.values()] == [1295, 255, 358]
    result = run(["index", "--subjqa-dir", str(small_subjqa), "-q"])
    assert result.exit_code == 0, result.output
    assert "gold questions kept 1295, added 0, updated 0" in result.stdout
    assert {s: labels.read("electronics", s) for s in before} == before  # nothing dropped, nothing changed
    # A copy whose first train question has a new id: that one is added, the one it replaces is kept.
    first = before["train"][0].question_id
    extra = subjqa_copy(tmp_path, small_subjqa, lambda t: t.replace(first, "a-new-question-id"))
    result = run(["index", "--subjqa-dir", str(extra), "-q"])
    assert result.exit_code == 0, result.output
    assert "subjqa/electronics/train: 20 questions" in result.stdout
    assert "gold questions kept 1295, added 1, updated 0" in result.stdout
    train = labels.read("electronics", "train")
    assert len(train) == 1296 and train[:1295] == before["train"] and train[-1].question_id == "a-new-question-id"


def test_a_review_too_long_is_skipped_alone(data_dir: Path, tmp_path: Path) -> None:
    big = "x" * (50 * 1024 * 1024)  # 50 MB in one field: far more than the csv module's 128 KiB limit
    path = reviews_file(tmp_path, "big.csv", f"item_id,text\nMY-1,fine\nMY-2,{big}\nMY-3,also fine\n")
    result = run(["import-reviews", str(path), "-q", "--on-bad-row", "skip"])
    assert result.exit_code == 0, result.output
    assert "skipped line 3: review too long (52,428,800 chars, limit 100,000)" in result.stderr
    assert "2 reviews, 1 bad rows skipped; written 2" in result.stdout


def test_ctrl_c_during_index_is_one_line_and_exit_130(
    data_dir: Path, small_subjqa: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(data_dir)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("indexer.write.write_reviews", interrupted)  # qa.api imports it where used
    result = run(["index", "--subjqa-dir", str(small_subjqa), "-q"])
    monkeypatch.undo()
    assert result.exit_code == 130 and result.stderr.strip() == INTERRUPTED_MESSAGE, result.output
    assert snapshot(data_dir) == before


def test_a_real_sigint_during_index(data_dir: Path, small_subjqa: Path) -> None:
    """SIGINT itself (not a mocked KeyboardInterrupt), sent while the reviews are being written."""
    script = (
        "import os, signal, time, indexer.write, qa.cli\n"
        # A shell without job control starts background jobs with SIGINT ignored (and Python keeps
        # that): restore Python's handler, so the test works wherever CI is launched from.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "def write(*a, **k):\n    os.kill(os.getpid(), signal.SIGINT)\n    time.sleep(30)\n"
        "indexer.write.write_reviews = write\nqa.cli.main()\n"
    )
    args = ["index", "--subjqa-dir", str(small_subjqa), "-q", "--data-dir", str(data_dir)]
    out = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 130 and out.stderr.strip() == INTERRUPTED_MESSAGE, out.stderr


def test_an_unreachable_hub_fails_at_once(data_dir: Path, item: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No five retries (about 23 s): a closed port stands for the hub, and the answer is one line."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    started = time.perf_counter()
    line = error_line(run(["ask", "Is it good?", "--item", item, "--reader", "deepset/minilm-uncased-squad2"]))
    assert time.perf_counter() - started < 10
    assert "Cannot reach the model hub (127.0.0.1:" in line and "Offline, pass a local folder" in line


def test_every_eval_entry_point_keeps_telemetry_off(tmp_path: Path) -> None:
    """`python -m eval.<module>` imports Haystack itself: the telemetry default must already be set."""
    modules = sorted(p.stem for p in (REPO / "eval").glob("*.py") if "__main__" in p.read_text(encoding="utf-8"))
    assert {"generative", "reader_study", "compare_retrievers"} <= set(modules)
    env = {k: v for k, v in os.environ.items() if k != "HAYSTACK_TELEMETRY_ENABLED"}
    env["HOME"] = str(tmp_path)  # if it were on, Haystack would write its config here, not in the real home
    check = "import eval.{0}, haystack.telemetry._telemetry as t; assert t.telemetry is None, 'telemetry on'"
    runs = {
        m: subprocess.Popen(
            [sys.executable, "-c", check.format(m)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for m in modules
    }
    for module, process in runs.items():
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"eval.{module}: {err.decode()[-500:]}"
