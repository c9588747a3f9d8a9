"""Gold labels (SubjQA questions with their answers), kept beside the index for evaluation.

Haystack 3.x document stores have no label type, so labels live in JSON-lines files under
`<data_dir>/labels/<domain>/<split>.jsonl`, written atomically and read back as project types.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.sources.subjqa import SPLITS
from qa.errors import StoreError
from qa.stores.atomic import write_atomic
from qa.types import GoldAnswer, Question


def _question_from_dict(data: dict) -> Question:
    answers = tuple(GoldAnswer(**a) for a in data.pop("answers"))
    return Question(answers=answers, **data)


@dataclass(frozen=True)
class LabelMerge:
    """What merging a new copy of one split's questions into the stored ones did (by question id)."""

    kept: int  # stored questions the new copy leaves as they were (absent from it, or identical)
    added: int  # question ids the store did not have
    updated: int  # question ids whose question or answers the new copy changes

    @property
    def total(self) -> int:
        """How many questions the split holds after the merge."""
        return self.kept + self.added + self.updated


class LabelStore:
    """Reads and writes gold questions per (domain, split)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, domain: str, split: str) -> Path:
        """The file holding one domain's split."""
        return self.root / domain / f"{split}.jsonl"

    def write(self, domain: str, split: str, questions: list[Question]) -> None:
        """Replace the labels of one domain's split."""
        lines = [json.dumps(asdict(q), ensure_ascii=False) for q in questions]
        write_atomic(self.path(domain, split), "\n".join(lines) + ("\n" if lines else ""))

    def merge(self, domain: str, split: str, questions: list[Question]) -> LabelMerge:
        """Add and update `questions` by question id; stored questions the new copy lacks are kept.

        Indexing a smaller or different copy of a dataset therefore never drops gold questions; the
        stored order is kept and new questions follow it. Nothing is written when nothing changes.
        """
        stored = self.read(domain, split) if self.path(domain, split).is_file() else []
        merged = {q.question_id: q for q in stored}
        added = updated = 0
        for question in questions:
            old = merged.get(question.question_id)
            if old is None:
                added += 1
            elif old != question:
                updated += 1
            merged[question.question_id] = question
        if added or updated or not self.path(domain, split).is_file():
            self.write(domain, split, list(merged.values()))
        return LabelMerge(kept=len(merged) - added - updated, added=added, updated=updated)

    def read(self, domain: str, split: str) -> list[Question]:
        """The labels of one domain's split; a clear error when they were never indexed or are damaged."""
        if split not in SPLITS:
            raise StoreError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}.")
        path = self.path(domain, split)
        if not path.is_file():
            raise StoreError(
                f"No gold labels for {domain}/{split} in {self.root}. Run `reviewqa index --domain {domain}` first."
            )
        questions = []
        try:
            with path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        questions.append(_question_from_dict(json.loads(line)))
                    except (ValueError, TypeError, KeyError, AttributeError) as error:
                        raise StoreError(
                            f"{path}: line {number} is not a gold question ({error}). "
                            f"Delete it and re-run `reviewqa index --domain {domain}`."
                        ) from error
        except UnicodeDecodeError as error:
            raise StoreError(
                f"{path} is not UTF-8 text (byte offset {error.start}). "
                f"Delete it and re-run `reviewqa index --domain {domain}`."
            ) from error
        return questions

    def available(self) -> list[tuple[str, str]]:
        """Every (domain, split) that has labels."""
        if not self.root.is_dir():
            return []
        return sorted((p.parent.name, p.stem) for p in self.root.glob("*/*.jsonl"))
