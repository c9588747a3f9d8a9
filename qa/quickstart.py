"""The README's main job: index SubjQA, make sure a reader exists, answer real test questions."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from indexer.sources.subjqa import DOMAINS, SPLITS, split_path
from qa.api import ReviewQA
from qa.config import HUB_READER, PACKAGED_MINILM, Settings
from qa.data import resolve_subjqa_dir
from qa.readers.training import TrainingConfig
from qa.stores.factory import open_labels
from qa.training import train_and_tune
from qa.types import AskResult, Question


def fetch_hub_reader(settings: Settings) -> bool:
    """Download the book's reader into the data directory when the hub is reachable.

    Only "the hub cannot be reached or refuses" means False (then the reader is trained offline);
    any other error propagates. The download lands in a staging folder that is renamed into place
    only when it holds a config and weights, so a partial download never passes for a reader.
    """
    import shutil
    import tempfile

    import httpx
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    from qa.hub import hub_unreachable
    from qa.stores.atomic import replace_dir

    if constants.is_offline_mode() or hub_unreachable() is not None:
        return False  # at once, instead of five retries per file
    target = settings.default_reader_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-download-"))
    try:
        snapshot_download(HUB_READER, local_dir=staging, etag_timeout=5)
        has_weights = any(staging.glob("*.safetensors")) or any(staging.glob("*.bin"))
        if not ((staging / "config.json").is_file() and has_weights):
            return False
        replace_dir(staging, target)
        return True
    except (OSError, httpx.HTTPError, HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled):
        return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: The quickstart's offline reader recipe, chosen to train in about 15 minutes on 2 idle cores: every
#: SubjQA domain in the source directory (more domains gave better spans than more epochs of one,
#: see the README's reader study) at learning rate 2e-4 (dev's choice over 1e-4 and 4e-4 for this
#: short schedule), bf16 where the CPU has it, on half of the no-answer questions for 0.63 epoch: the
#: tokens of half an epoch of everything (0.6 epoch of everything took command 1 past its 20 minutes),
#: with more of them spent on answers (dev decision F1 0.441 against 0.435). Then the answer decision
#: is fitted on the same domains' dev splits, with the sentence encoder's similarity signals.
QUICKSTART_TRAINING = TrainingConfig(epochs=0.63, learning_rate=2e-4, no_answer_fraction=0.5)

#: Dev groups per domain the quickstart times each inference variant on (train-reader: 40). With the
#: similarity signals every variant pays the sentence encoder too: command 1 took 19 min 51 s at
#: 659dd90 with 40, and 21 min 27 s at 0b69a7c with 20 on a CPU without bf16 (where training is
#: fp32). A variant must now be 1.5x faster than fp32 to be kept (`qa.training.pick_variant`), a
#: difference that 10 groups per domain already show.
QUICKSTART_TIMING_GROUPS = 10


def training_domains(source_dir: Path, domain: str) -> list[str]:
    """Every SubjQA domain with all splits in `source_dir` (the asked-about domain at least)."""
    found = [d for d in DOMAINS if all(split_path(source_dir, d, s).is_file() for s in SPLITS)]
    return found if domain in found else [domain, *found]


def sample_questions(questions: list[Question], n: int) -> list[Question]:
    """The first answerable question of each of the first `n` products (deterministic)."""
    chosen: dict[str, Question] = {}
    for q in questions:
        if q.is_answerable and q.item_id not in chosen:
            chosen[q.item_id] = q
        if len(chosen) == n:
            break
    return list(chosen.values())


def run_quickstart(
    settings: Settings,
    *,
    domain: str,
    n_questions: int,
    echo: Callable[[str], None],
    show: Callable[[AskResult], None],
    training: TrainingConfig = QUICKSTART_TRAINING,
    train_domains: list[str] | None = None,
    max_tune_groups: int | None = None,
) -> None:
    """Index `domain`, ensure a reader (hub when reachable, else train offline), then answer questions.

    :param settings: where the data and the reader live.
    :param domain: the SubjQA domain to index and ask about.
    :param n_questions: how many test questions (one per product) to answer.
    :param echo: prints a line of progress.
    :param show: prints one answer.
    :param training: the offline reader's recipe (`QUICKSTART_TRAINING`; tests pass a slice).
    :param train_domains: the domains to train on (default: every domain in the source directory).
    :param max_tune_groups: fit the answer decision on at most this many dev groups per domain.
    """
    started = time.perf_counter()
    api = ReviewQA(settings)
    source = resolve_subjqa_dir(settings, [domain])
    summaries = api.index_subjqa([domain], source_dir=source)
    echo(f"Indexed {sum(s.reviews for s in summaries)} reviews of {domain} ({api.count()} in the store).")
    if settings.reader.model == "auto" and not (settings.default_reader_dir / "config.json").is_file():
        if fetch_hub_reader(settings):
            echo(f"Downloaded {HUB_READER}.")
        else:
            domains = train_domains or training_domains(source, domain)
            echo(
                f"No model hub reachable: training the offline reader on SubjQA train of {', '.join(domains)} "
                "(about 15 minutes on 2 cores), then fitting its answer decision on their dev splits."
            )
            train_and_tune(
                settings,
                base=PACKAGED_MINILM,
                domains=domains,
                source_dir=source,
                out_dir=settings.default_reader_dir,
                config=training,
                max_tune_questions=max_tune_groups,
                timing_groups=QUICKSTART_TIMING_GROUPS,
            )
    questions = sample_questions(open_labels(settings).read(domain, "test"), n_questions)
    for q in questions:
        result = api.ask(q.question, item_id=q.item_id, split="test")
        show(result)
        echo(f"  gold: {' | '.join(a.text for a in q.answers)}\n")
    echo(
        f'Done in {time.perf_counter() - started:.0f} s. Ask your own: reviewqa ask "..." --item {questions[0].item_id}'
    )
