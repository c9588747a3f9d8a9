"""The reviewqa web UI. Start it with `reviewqa ui` (or `streamlit run ui/app.py`).

A shopper's page: choose a product (named by the words its reviews use most), ask or pick an example
question, read one headline answer with its confidence in words and its evidence, what other
reviews say, and the review consensus; the product panel runs the NLP tasks on its reviews.
Developer mode (a toggle in the sidebar) adds the settings (retriever, mode, top-k), the scores,
and the Evaluation, Pipeline and Feedback pages. Options that cannot run here are not offered: the
sidebar says why. The UI talks only to the `qa` facade; settings come from `REVIEWQA_*` variables.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import get_args

import pandas as pd
import streamlit as st

from qa.api import ReviewQA
from qa.availability import mode_unavailable, retriever_unavailable
from qa.config import MAX_QUESTION_CHARS, MAX_TOP_K, RetrieverKind, Settings
from qa.errors import ReviewQAError
from qa.pipelines.definitions import PIPELINES
from qa.pipelines.draw import pipeline_to_dot
from qa.types import Answer, AskResult
from ui.panel import analysis_html
from ui.render import answer_card, consensus_html, headline_card, review_card
from ui.results import default_results_dir, describe, load_eval_results, metric_tables, summary_table
from ui.state import AskContext, LastRun, TaskRun
from ui.tasks import product_tasks

LOG = logging.getLogger("reviewqa.ui")

DEVELOPER_PAGES = ("Ask", "Evaluation", "Pipeline", "Feedback")
#: Labels of the modes (pipeline names) the UI knows; any other pipeline gets its name as label.
MODE_LABELS = {
    "extractive": "Extractive: answer spans read out of the reviews",
    "generative": "Generative: an answer written from the reviews",
    "retrieval": "Retrieval only: the best-matching reviews, no reader",
}
#: Reviews the consensus reads by default (the best-matching ones; the developer slider goes to MAX_TOP_K).
CONSENSUS_REVIEWS = 20
#: Example questions for products without gold questions of their own.
GENERIC_EXAMPLES = ("Is it worth the price?", "How is the quality?", "Is it easy to use?")
MAX_EXAMPLES = 4


@dataclass(frozen=True)
class Choices:
    """What the sidebar decided for this run."""

    developer: bool
    page: str
    settings: Settings
    mode: str
    top_k_retriever: int
    top_k_reader: int
    consensus_reviews: int


# -- shared, loaded once per server ---------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=4)
def load_api(key: str, _settings: Settings) -> ReviewQA:
    """One facade per distinct settings (`key` is their repr); it loads the reader once, lazily."""
    return ReviewQA(_settings)


@st.cache_resource(show_spinner=False, max_entries=16)
def retriever_facade(key: str, retriever: str, _base: ReviewQA) -> ReviewQA:
    """The base facade with another retriever, sharing its store, reader and NLP models."""
    return _base.with_retriever(retriever)  # type: ignore[arg-type]


@st.cache_resource(show_spinner=False)
def model_lock() -> threading.Lock:
    """One model call at a time across browser sessions (fast tokenizers are not thread-safe)."""
    return threading.Lock()


@st.cache_data(show_spinner=False, ttl=600, max_entries=8)
def unavailable_options(key: str, _settings: Settings) -> dict[str, str | None]:
    """Why each retriever and mode cannot run here ({name: reason or None}), checked without loading models."""
    reasons: dict[str, str | None] = {
        f"retriever:{k}": retriever_unavailable(_settings, k) for k in get_args(RetrieverKind)
    }
    reasons |= {f"mode:{name}": mode_unavailable(_settings, name) for name in PIPELINES}
    return reasons


@st.cache_data(show_spinner="Listing the products…", ttl=600, max_entries=8)
def product_labels(key: str, reviews: int, _api: ReviewQA) -> dict[str, str]:
    """Each product's label ("B0074BW614 · kindle, kfhd, ads · 56 reviews"), most reviewed first."""
    return {summary.item_id: summary.label for summary in _api.product_summaries()}


@st.cache_data(show_spinner=False, ttl=600, max_entries=256)
def example_questions(key: str, item_id: str, _api: ReviewQA) -> list[str]:
    """Questions other shoppers asked about this product (the gold labels), else generic ones."""
    return _api.example_questions(item_id, limit=MAX_EXAMPLES) or list(GENERIC_EXAMPLES)


# -- sidebar ---------------------------------------------------------------------------------------
def sidebar(base: Settings) -> Choices:
    """The developer toggle and, in developer mode, the pages and settings (only options that can run)."""
    bar = st.sidebar
    developer = bar.toggle(
        "Developer mode", key="developer", help="Settings, scores, and the Evaluation, Pipeline and Feedback pages."
    )
    reasons = unavailable_options(repr(base), base)
    modes = [m for m in PIPELINES if reasons[f"mode:{m}"] is None]
    default_mode = "extractive" if "extractive" in modes else (modes[0] if modes else "retrieval")
    shopper = Choices(
        developer=False,
        page="Ask",
        settings=base,
        mode=default_mode,
        top_k_retriever=base.retrieval.top_k,
        top_k_reader=base.reader.top_k,
        consensus_reviews=CONSENSUS_REVIEWS,
    )
    if not developer:
        return shopper
    page = bar.radio("Page", DEVELOPER_PAGES, key="page")
    bar.header("Settings")
    kinds = [k for k in get_args(RetrieverKind) if reasons[f"retriever:{k}"] is None or k == base.retrieval.retriever]
    retriever = bar.selectbox("Retriever", kinds, index=kinds.index(base.retrieval.retriever), key="retriever")
    mode = bar.radio(
        "Mode", modes, index=modes.index(default_mode), key="mode", format_func=lambda m: MODE_LABELS.get(m, m)
    )
    for name, reason in reasons.items():
        if reason is not None:
            bar.caption(f"Not offered: {name.split(':', 1)[1]} ({name.split(':')[0]}): {reason}")
    top_k_retriever = bar.slider(
        "Reviews retrieved (1–20)", 1, 20, min(base.retrieval.top_k, 20), key="top_k_retriever"
    )
    top_k_reader = bar.slider(
        "Answers read (1–10)", 1, 10, min(base.reader.top_k, 10), key="top_k_reader", disabled=mode != "extractive"
    )
    consensus_reviews = bar.slider(
        f"Reviews the consensus reads (1–{MAX_TOP_K})", 1, MAX_TOP_K, CONSENSUS_REVIEWS, key="consensus_reviews"
    )
    settings = base.with_overrides(retriever=retriever)
    bar.caption(f"Data: `{settings.data_dir}`  \nReader: `{settings.reader.model}`  \nDevice: {settings.device}")
    return Choices(
        True, str(page), settings, str(mode), int(top_k_retriever), int(top_k_reader), int(consensus_reviews)
    )


# -- Ask page --------------------------------------------------------------------------------------
def choose_product(labels: dict[str, str]) -> str | None:
    """Every product in one searchable list (type an id or a word such as "kindle")."""
    return st.selectbox(
        f"Product ({len(labels):,} products; type to search by id or word)",
        list(labels),
        index=None,
        key="product",
        format_func=lambda p: labels.get(p, p),
        placeholder="Choose a product",
    )


def embeddings_ready(api: ReviewQA) -> bool:
    """For a dense retriever: True when every review has its embedding, else offer to prepare them, with progress."""
    try:
        status = api.embedding_status()
    except ReviewQAError as error:
        st.error(str(error))
        return False
    if status is None or status.ready:
        return True
    st.warning(
        f"The {status.kind} retriever needs review embeddings: {status.missing:,} of {status.total:,} reviews do not "
        "have them yet. Prepare them once, here or with `reviewqa index --embed`; questions wait until then.",
        icon=":material/hourglass_top:",
    )
    if st.button("Prepare embeddings", key="prepare_embeddings", type="primary"):
        bar = st.progress(0.0, text="Loading the encoder…")

        def progress(done: int, todo: int) -> None:
            bar.progress(done / todo, text=f"Embedded {done:,} of {todo:,} reviews")

        try:
            with model_lock():
                api.prepare_embeddings(progress)
        except ReviewQAError as error:
            st.error(str(error))
            return False
        st.rerun()
    return False


def product_panel(api: ReviewQA, item_id: str) -> None:
    """The NLP tasks about one product (`qa.nodes.PRODUCT_TASKS`); those that cannot run here are disabled."""
    tasks = product_tasks(api.settings)
    if not tasks:
        return
    with st.expander("About this product: sentiment, pros and cons, summary, names, Portuguese"):
        runnable = [t for t in tasks if t.unavailable is None]
        for task in tasks:
            if task.unavailable is not None:
                st.button(task.name, key=f"task-off-{task.name}", disabled=True, help=task.unavailable)
                st.caption(f"{task.name} cannot run here: {task.unavailable}")
        if not runnable:
            return
        names = [t.name for t in runnable]
        name = st.radio("Task", names, key="task_name", horizontal=True)
        task = runnable[names.index(name)]
        st.caption(task.description)
        text = st.text_input(task.text_label, key=f"task_text-{task.name}") if task.text_label else None
        if st.button("Run", key="task_run"):
            run = TaskRun(item_id=item_id, name=task.name)
            with st.spinner(f"{task.name}: reading the reviews…"):
                try:
                    with model_lock():
                        run.output = task.run(api, item_id, text) if task.text_label else task.run(api, item_id)
                except ReviewQAError as error:
                    run.error = str(error)
            st.session_state["task_output"] = run
        shown = st.session_state.get("task_output")
        if isinstance(shown, TaskRun) and shown.item_id == item_id and shown.name == task.name:
            if shown.error:
                st.error(shown.error)
            else:
                html = analysis_html(shown.output)
                if html is not None:
                    st.html(html)
                else:
                    st.write(shown.output)


def run_question(api: ReviewQA, choices: Choices, question: str, item_id: str | None, consensus: bool) -> LastRun:
    """Run the chosen mode (and the consensus) through the facade; user errors become a message."""
    run_id = int(st.session_state.get("run_counter", 0)) + 1
    st.session_state["run_counter"] = run_id
    last = LastRun(
        run_id=run_id,
        mode=choices.mode,
        question=question,
        item_id=item_id,
        context=context(choices, item_id, consensus),
    )
    if not item_id:
        last.error = "Choose a product first: type its id or a word in the product list."
        return last
    try:
        with model_lock():
            if choices.mode == "retrieval":
                last.reviews = api.retrieve(question, item_id=item_id, top_k=choices.top_k_retriever)
            else:
                last.result = api.ask(
                    question,
                    item_id=item_id,
                    top_k_retriever=choices.top_k_retriever,
                    top_k_reader=choices.top_k_reader,
                    mode="generative" if choices.mode == "generative" else "extractive",
                )
    except ReviewQAError as error:
        last.error = str(error)
        return last
    except Exception as error:
        LOG.exception("Answering %r about %r failed", question, item_id)
        last.error = f"Unexpected error ({type(error).__name__}: {error}). This is a bug; the server log has details."
        return last
    if consensus and choices.mode == "extractive":
        try:
            with model_lock():
                last.consensus = api.consensus(question, item_id=item_id, max_reviews=choices.consensus_reviews)
        except ReviewQAError as error:
            last.consensus_error = str(error)
    return last


def context(choices: Choices, item_id: str | None, consensus: bool) -> AskContext:
    """What the answer depends on besides the question (a change makes a shown answer stale)."""
    return AskContext(
        item_id=item_id,
        mode=choices.mode,
        retriever=choices.settings.retrieval.retriever,
        top_k_retriever=choices.top_k_retriever,
        top_k_reader=choices.top_k_reader,
        consensus_reviews=choices.consensus_reviews if consensus else None,
    )


def record_feedback(api: ReviewQA, last: LastRun, rank: int, answer: Answer, correct: bool) -> None:
    """Button callback: store the judgement durably, remember it for this session."""
    try:
        api.record_feedback(last.question, last.item_id, answer, correct=correct, rank=rank)
    except ReviewQAError as error:
        last.feedback_error = str(error)
        return
    last.feedback_error = None
    last.feedback[rank] = correct


def feedback_buttons(api: ReviewQA, last: LastRun, rank: int, answer: Answer) -> None:
    if rank in last.feedback:
        verdict = "right" if last.feedback[rank] else "wrong"
        st.caption(f":material/check: Saved: you marked answer {rank} {verdict}. Thank you!")
        return
    right, wrong, _ = st.columns([1, 1, 4])
    for column, correct, label, icon in ((right, True, "Right", "thumb_up"), (wrong, False, "Wrong", "thumb_down")):
        column.button(
            label,
            icon=f":material/{icon}:",
            key=f"fb-{label.lower()}-{last.run_id}-{rank}",
            help=f"This answer is {'correct' if correct else 'not correct'}: store it as a label.",
            on_click=record_feedback,
            args=(api, last, rank, answer, correct),
        )


def show_answers(api: ReviewQA, last: LastRun, result: AskResult, developer: bool) -> None:
    """One headline answer (`AskResult.headline_with`), what other reviews say, then the consensus."""
    chosen = result.headline_with(last.consensus)
    headline, words = chosen.answer, chosen.words
    searched = len({r.review.review_id or r.review.text for r in result.reviews})
    if last.feedback_error:
        st.error(last.feedback_error)
    if headline is not None:
        st.subheader("Answer")
        with st.container(border=True):
            st.html(headline_card(headline, words, developer=developer))
            if chosen.from_consensus and last.consensus is not None:
                st.caption(
                    f"Found by the review consensus: the {searched} best-matching reviews do not answer it, "
                    f"{last.consensus.mentioning} of the {last.consensus.reviews_read} reviews it read do."
                )
            feedback_buttons(api, last, 1, headline)
    else:
        st.warning(
            f"**Not mentioned.** None of the {searched} reviews searched answers this question, as far as the "
            "reader can tell.",
            icon=":material/help:",
        )
    others = [] if chosen.from_consensus else result.others
    if others and headline is not None:
        st.markdown("#### Other reviews say…")
        for rank, answer in enumerate(others, start=2):
            with st.container(border=True):
                st.html(answer_card(answer, rank, developer=developer))
                feedback_buttons(api, last, rank, answer)
    elif others:
        with st.expander(f"Closest passages, too weak to be an answer ({len(others)})"):
            for rank, answer in enumerate(others, start=1):
                st.html(answer_card(answer, rank, developer=developer))
    if last.consensus is not None:
        st.subheader("What the reviews agree on")
        st.html(consensus_html(last.consensus, developer=developer))
    elif last.consensus_error:
        st.error(f"No consensus: {last.consensus_error}")
    if developer and result.reviews:
        with st.expander(f"The {len(result.reviews)} reviews the reader searched"):
            for rank, retrieved in enumerate(result.reviews, start=1):
                st.html(review_card(retrieved.review, retrieved.score, rank))


def show_last(api: ReviewQA, last: LastRun, developer: bool) -> None:
    if last.error:
        st.error(last.error)
        return
    st.markdown(f"**Q:** {last.question}")
    if last.reviews is not None:
        st.subheader("Best-matching reviews")
        if not last.reviews:
            st.info("No reviews matched.")
        for rank, retrieved in enumerate(last.reviews, start=1):
            st.html(review_card(retrieved.review, retrieved.score, rank))
        return
    if last.result is not None:
        show_answers(api, last, last.result, developer)


def ask_example(question: str) -> None:
    """Example button callback: put the question in the box and ask it."""
    st.session_state["question"] = question
    st.session_state["ask_now"] = True


def ask_page(api: ReviewQA, choices: Choices) -> None:
    st.title("Ask the reviews")
    st.caption("Answers are read out of what customers wrote, with the review they come from as evidence.")
    try:
        reviews = api.count()
        labels = product_labels(repr(api.settings.data_dir), reviews, api) if reviews else {}
    except ReviewQAError as error:
        st.error(str(error))
        return
    if not labels:
        st.error(
            f"The index in {api.settings.store_dir} is empty: there are no reviews to ask about yet. "
            "Run `reviewqa index` (SubjQA) or `reviewqa import-reviews FILE` first."
        )
        return
    item_id = choose_product(labels)
    cannot_read = unavailable_options(repr(api.settings), api.settings)["mode:extractive"]
    if cannot_read is not None and choices.mode != "extractive":
        st.warning(
            f"Answers cannot be read out of the reviews here: {cannot_read} The best-matching reviews are shown."
        )
    ready = embeddings_ready(api)
    if item_id is not None:
        product_panel(api, item_id)
        examples = example_questions(repr(api.settings.data_dir), item_id, api)
        st.caption("Example questions other shoppers asked" if examples != list(GENERIC_EXAMPLES) else "Examples")
        columns = st.columns(len(examples))
        for number, (column, example) in enumerate(zip(columns, examples, strict=True)):
            column.button(example, key=f"example-{number}", on_click=ask_example, args=(example,), disabled=not ready)
    with st.form("ask_form"):
        # No max_chars: Streamlit silently drops a paste longer than it. The facade checks the length and
        # run_question shows its message ("The question has N characters; the limit is 1000").
        question = st.text_input("Question", key="question", placeholder="Type your question about this product")
        st.caption(f"Up to {MAX_QUESTION_CHARS:,} characters.")
        consensus = st.checkbox(
            "Also ask every review and show what they agree on (review consensus)",
            value=True,
            key="consensus",
            disabled=choices.mode != "extractive",
        )
        submitted = st.form_submit_button("Ask", type="primary", key="ask_submit", disabled=not ready)
    if st.session_state.pop("ask_now", False) and ready:
        submitted, question = True, str(st.session_state.get("question", ""))
    if submitted:
        with st.spinner("Reading the reviews… (the first question also loads the models)"):
            st.session_state["last"] = run_question(api, choices, question, item_id, bool(consensus))
    last = st.session_state.get("last")
    if isinstance(last, LastRun):
        if last.context != context(choices, item_id, bool(consensus)):
            st.info(
                "The product or the settings changed since this answer was given. Press **Ask** to answer again.",
                icon=":material/update:",
            )
        show_last(api, last, choices.developer)


# -- developer pages -------------------------------------------------------------------------------
def evaluation_page() -> None:
    st.title("Evaluation results")
    directory = Path(st.text_input("Results folder", value=str(default_results_dir()), key="results_dir"))
    found = load_eval_results(directory.expanduser())
    for problem in found.problems:
        st.warning(problem)
    if not found.directory.is_dir():
        st.info(f"There is no results folder at {found.directory}. Evaluations write their results there.")
        return
    if found.is_empty:
        st.info(
            f"No evaluation results in {found.directory} yet. Run an evaluation, e.g. "
            "`reviewqa eval retriever` or `reviewqa eval reader`: each writes a JSON result (and PNG plots) there."
        )
        return
    if found.results:
        st.markdown("**All results**, newest first")
        st.dataframe(summary_table(found.results), hide_index=True)
    for number, result in enumerate(found.results):
        data = result.data
        title = f"{result.name} · {data.get('kind', '?')} · {data.get('created', '')}"
        with st.expander(title, expanded=number == 0):
            if data.get("command"):
                st.caption("Command")
                st.code(str(data["command"]), language="bash")
            for table_title, table in metric_tables(data.get("metrics", {})):
                st.markdown(f"**{table_title}**")
                meaning = describe(table_title)
                if meaning:
                    st.caption(meaning)
                st.dataframe(table, hide_index=isinstance(table.index, pd.RangeIndex))
            if data.get("config"):
                st.caption("Configuration")
                st.json(data["config"], expanded=False)
    if found.plots:
        st.subheader("Plots")
        for plot in found.plots:
            st.image(str(plot), caption=plot.stem)


def pipeline_page(api: ReviewQA, mode: str) -> None:
    st.title("Pipeline")
    st.caption(
        f"The active pipeline ({mode} mode, {api.settings.retrieval.retriever} retriever), drawn locally from its "
        "graph: inputs at the top, connections labelled with their sockets and types, optional inputs inside each box."
    )
    try:
        with st.spinner("Building the pipeline…"):
            pipeline = api.pipeline(mode)
    except ReviewQAError as error:
        st.error(str(error))
        return
    except Exception as error:
        LOG.exception("Building the %r pipeline failed", mode)
        st.error(f"Cannot build the {mode} pipeline ({type(error).__name__}: {error}). The server log has details.")
        return
    dot = pipeline_to_dot(pipeline)
    st.graphviz_chart(dot)
    with st.expander("DOT source"):
        st.code(dot, language="dot")


def feedback_page(api: ReviewQA) -> None:
    st.title("Feedback")
    store = api.feedback
    try:
        records = store.read_all()
    except OSError as error:
        st.error(f"Cannot read {store.path}: {error}")
        return
    for problem in store.problems:
        st.warning(problem)
    st.caption(
        f"Answers marked right or wrong on the Ask page, stored as labels in `{store.path}`. "
        "Command line: `reviewqa feedback export OUT.jsonl|OUT.csv`."
    )
    if not records:
        st.info("No feedback yet: mark answers right or wrong on the Ask page.")
        return
    right = sum(r.correct for r in records)
    cols = st.columns(3)
    cols[0].metric("Records", len(records))
    cols[1].metric("Marked right", right)
    cols[2].metric("Marked wrong", len(records) - right)
    st.dataframe(pd.DataFrame([asdict(r) for r in records]), hide_index=True)
    left, right_col = st.columns(2)
    left.download_button(
        "Download JSONL", store.to_jsonl(records), file_name="feedback.jsonl", mime="application/x-ndjson"
    )
    right_col.download_button("Download CSV", store.to_csv(records), file_name="feedback.csv", mime="text/csv")


def main() -> None:
    st.set_option("client.toolbarMode", "viewer")  # no Deploy button or developer menu for shoppers
    st.set_page_config(page_title="reviewqa", page_icon=":material/reviews:", layout="wide")
    try:
        base = Settings.from_env()
    except (ValueError, ReviewQAError) as error:
        st.error(f"Invalid REVIEWQA_* setting: {error}")
        st.stop()
    choices = sidebar(base)
    base_api = load_api(repr(base), base)
    api = retriever_facade(repr(base), choices.settings.retrieval.retriever, base_api)
    if choices.page == "Evaluation":
        evaluation_page()
    elif choices.page == "Pipeline":
        pipeline_page(api, choices.mode)
    elif choices.page == "Feedback":
        feedback_page(api)
    else:
        ask_page(api, choices)


main()
