"""Gold labels (SubjQA questions with their answers), kept beside the index for evaluation.

Haystack 3.x document stores have no label type, so labels live in JSON-lines files under
`<data_dir>/labels/<domain>/<split>.jsonl`, written atomically and read back as project types.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from qa.errors import StoreError
from qa.stores.atomic import write_atomic
from qa.types import GoldAnswer, Question


def _question_from_dict(data: dict) -> Question:
    answers = tuple(GoldAnswer(**a) for a in data.pop("answers"))
    return Question(answers=answers, **data)


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

    def read(self, domain: str, split: str) -> list[Question]:
        """The labels of one domain's split; a clear error when they were never indexed."""
        path = self.path(domain, split)
        if not path.is_file():
            raise StoreError(
                f"No gold labels for {domain}/{split} in {self.root}. Run `reviewqa index --domain {domain}` first."
            )
        with path.open(encoding="utf-8") as handle:
            return [_question_from_dict(json.loads(line)) for line in handle if line.strip()]

    def available(self) -> list[tuple[str, str]]:
        """Every (domain, split) that has labels."""
        if not self.root.is_dir():
            return []
        return sorted((p.parent.name, p.stem) for p in self.root.glob("*/*.jsonl"))
