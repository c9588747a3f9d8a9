"""The reviewqa web UI. Start it with `reviewqa ui` (or `streamlit run ui/app.py`).

Pages: Ask (choose a product, ask, read answers inside their reviews, mark them right or wrong),
Evaluation (results in eval/results/), Pipeline (the active pipeline's graph), Feedback (export).
The UI talks only to the `qa` facade; settings come from `REVIEWQA_*` variables plus the sidebar.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import asdict
from pathlib import Path
from typing import get_args

import pandas as pd
import streamlit as st

from qa.api import ReviewQA
from qa.config import MAX_QUESTION_CHARS, RetrieverKind, Settings
from qa.errors import ReviewQAError
from qa.pipelines.definitions import PIPELINES
from qa.pipelines.draw import pipeline_to_dot
from qa.types import Answer, AskResult
from ui.render import answer_card, review_card
from ui.results import default_results_dir, load_eval_results, metric_tables, summary_table
from ui.state import LastRun
from ui.tasks import product_tasks

LOG = logging.getLogger("reviewqa.ui")

PAGES = ("Ask", "Evaluation", "Pipeline", "Feedback")
#: Labels of the modes (pipeline names) the UI knows; any other pipeline gets its name as label.
MODE_LABELS = {
    "extractive": "Extractive: answer spans read out of the reviews",
    "generative": "Generative: an answer written from the reviews",
    "retrieval": "Retrieval only: the best-matching reviews, no reader",
}
MAX_PRODUCT_CHOICES = 200
MAX_PRODUCT_QUERY_CHARS = 200


# -- facade ------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=4)
def load_api(key: str, _settings: Settings) -> ReviewQA:
    """One facade per distinct settings (`key` is their repr); it loads the reader once, lazily."""
    return ReviewQA(_settings)


def facade_takes_mode() -> bool:
    """True once `ReviewQA.ask` accepts `mode=<pipeline name>` (then every answering pipeline is offered)."""
    return "mode" in inspect.signature(ReviewQA.ask).parameters


def answer_modes() -> tuple[list[str], list[str]]:
    """The pipelines of `PIPELINES` the facade can run from the UI, and those it cannot yet.

    "retrieval" runs through `ReviewQA.retrieve`, "extractive" through `ReviewQA.ask`; any other
    pipeline (e.g. "generative") through `ReviewQA.ask(..., mode=name)` once the facade has it.
    """
    runnable = {"retrieval", "extractive"}
    if facade_takes_mode():
        runnable |= set(PIPELINES)
    return [n for n in PIPELINES if n in runnable], [n for n in PIPELINES if n not in runnable]


def sidebar_settings() -> tuple[Settings, str, int, int]:
    """Settings (environment + sidebar choices), the mode and the two top-k values."""
    try:
        base = Settings.from_env()
    except (ValueError, ReviewQAError) as error:
        st.error(f"Invalid REVIEWQA_* setting: {error}")
        st.stop()
    sidebar = st.sidebar
    sidebar.header("Settings")
    kinds = list(get_args(RetrieverKind))
    retriever = sidebar.selectbox("Retriever", kinds, index=kinds.index(base.retrieval.retriever), key="retriever")
    modes, missing = answer_modes()
    default_mode = modes.index("extractive") if "extractive" in modes else 0
    mode = sidebar.radio("Mode", modes, index=default_mode, key="mode", format_func=lambda m: MODE_LABELS.get(m, m))
    if missing:
        sidebar.caption(f"Pipelines not yet available in the UI: {', '.join(missing)}.")
    top_k_retriever = sidebar.slider(
        "Reviews retrieved (retriever top-k)", 1, 20, min(base.retrieval.top_k, 20), key="top_k_retriever"
    )
    top_k_reader = sidebar.slider(
        "Answers shown (reader top-k)",
        1,
        10,
        min(base.reader.top_k, 10),
        key="top_k_reader",
        disabled=mode != "extractive",
    )
    settings = base.with_overrides(retriever=retriever)
    sidebar.caption(f"Data: `{settings.data_dir}`  \nReader: `{settings.reader.model}`  \nDevice: {settings.device}")
    return settings, str(mode), int(top_k_retriever), int(top_k_reader)


# -- Ask page ----------------------------------------------------------------------------------
def choose_product(products: dict[str, int]) -> str | None:
    """Search products by id; shows how many reviews the chosen one has."""
    query = st.text_input("Product id", key="product_query", placeholder="Type to search, e.g. B0074BW614").strip()
    if len(query) > MAX_PRODUCT_QUERY_CHARS:  # a paste, not a product id (no max_chars: it would drop it silently)
        st.warning(f"A product id has at most {MAX_PRODUCT_QUERY_CHARS} characters; this one has {len(query)}.")
        return None
    if query in products:
        st.success(f"Product {query}: {products[query]} reviews")
        return query
    matches = [p for p in products if query.lower() in p.lower()]
    if not matches:
        st.warning(f"No product id contains {query!r}.")
        return query or None
    label = f"{len(matches)} products match" if query else f"All {len(matches)} products (most reviewed first)"
    if len(matches) > MAX_PRODUCT_CHOICES:
        label += f"; showing the first {MAX_PRODUCT_CHOICES}"
    choice = st.selectbox(
        label,
        matches[:MAX_PRODUCT_CHOICES],
        format_func=lambda p: f"{p} ({products[p]} reviews)",
        key=f"product_pick:{query}",
    )
    if choice is not None:
        st.caption(f"Product {choice}: {products[choice]} reviews")
    return choice


def product_panel(api: ReviewQA, item_id: str) -> None:
    """NLP tasks about one product, shown only when some are registered (see ui/tasks.py)."""
    tasks = product_tasks()
    if not tasks:
        return
    with st.expander(f"Product panel: {item_id}"):
        name = st.selectbox("Task", list(tasks), key="task_name")
        if st.button("Run task", key="task_run"):
            with st.spinner(f"Running {name}…"):
                try:
                    st.session_state["task_output"] = (item_id, name, tasks[name](api, item_id))
                except ReviewQAError as error:
                    st.error(str(error))
        output = st.session_state.get("task_output")
        if output is not None and output[0] == item_id and output[1] == name:
            st.write(output[2])


def run_question(
    api: ReviewQA, mode: str, question: str, item_id: str | None, top_k_retriever: int, top_k_reader: int
) -> LastRun:
    """Run the chosen mode through the facade; user errors become a message, never a traceback."""
    run_id = int(st.session_state.get("run_counter", 0)) + 1
    st.session_state["run_counter"] = run_id
    last = LastRun(run_id=run_id, mode=mode, question=question, item_id=item_id)
    if not item_id:
        last.error = "Choose a product first: type its id in the search box."
        return last
    try:
        if mode == "retrieval":
            last.reviews = api.retrieve(question, item_id=item_id, top_k=top_k_retriever)
        elif mode == "extractive":
            last.result = api.ask(question, item_id=item_id, top_k_retriever=top_k_retriever, top_k_reader=top_k_reader)
        else:  # offered only once the facade takes `mode` (see answer_modes)
            ask = getattr(api, "ask")  # noqa: B009 - the `mode` keyword is checked at runtime, not typed
            last.result = ask(
                question, item_id=item_id, top_k_retriever=top_k_retriever, top_k_reader=top_k_reader, mode=mode
            )
    except ReviewQAError as error:
        last.error = str(error)
    except Exception as error:
        LOG.exception("Answering %r about %r failed", question, item_id)
        last.error = f"Unexpected error ({type(error).__name__}: {error}). This is a bug; the server log has details."
    return last


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
    right.button(
        "Right",
        icon=":material/thumb_up:",
        key=f"fb-right-{last.run_id}-{rank}",
        help="This answer is correct: store it as a label.",
        on_click=record_feedback,
        args=(api, last, rank, answer, True),
    )
    wrong.button(
        "Wrong",
        icon=":material/thumb_down:",
        key=f"fb-wrong-{last.run_id}-{rank}",
        help="This answer is not correct: store it as a label.",
        on_click=record_feedback,
        args=(api, last, rank, answer, False),
    )


def show_answers(api: ReviewQA, last: LastRun, result: AskResult) -> None:
    st.subheader("Answers")
    st.text(f"Q: {result.question}   (product {result.item_id})")
    best = result.best
    if best is None or best.is_no_answer:
        st.warning(
            f"**The reviews don't say.** The reader's top prediction is *no answer*: none of the "
            f"{len(result.reviews)} retrieved reviews of this product answers the question. "
            "Lower-ranked candidates are listed below for reference.",
            icon=":material/help:",
        )
    elif result.confidence is not None:
        st.success(f"**{best.text}** ({result.confidence.words})", icon=":material/check_circle:")
    if last.feedback_error:
        st.error(last.feedback_error)
    for rank, answer in enumerate(result.answers, start=1):
        with st.container(border=True):
            if answer.is_no_answer:
                st.markdown(f"**{rank}.** *No answer in these reviews* · score {answer.score:.3f}")
            else:
                st.html(answer_card(answer, rank))
            feedback_buttons(api, last, rank, answer)
    if result.reviews:
        with st.expander(f"The {len(result.reviews)} reviews the reader searched"):
            for rank, retrieved in enumerate(result.reviews, start=1):
                st.html(review_card(retrieved.review, retrieved.score, rank))


def show_last(api: ReviewQA, last: LastRun) -> None:
    if last.error:
        st.error(last.error)
        return
    if last.reviews is not None:
        st.subheader("Best-matching reviews")
        st.text(f"Q: {last.question}   (product {last.item_id})")
        if not last.reviews:
            st.info("No reviews matched.")
        for rank, retrieved in enumerate(last.reviews, start=1):
            st.html(review_card(retrieved.review, retrieved.score, rank))
        return
    if last.result is not None:
        show_answers(api, last, last.result)


def ask_page(api: ReviewQA, mode: str, top_k_retriever: int, top_k_reader: int) -> None:
    st.title("Ask the reviews")
    try:
        products = api.products()
    except ReviewQAError as error:
        st.error(str(error))
        return
    if not products:
        st.error(
            f"The index in {api.settings.store_dir} is empty: there are no reviews to ask about yet. "
            "Run `reviewqa index` (SubjQA) or `reviewqa import-reviews FILE` first."
        )
        return
    item_id = choose_product(products)
    if item_id in products:
        product_panel(api, item_id)
    with st.form("ask_form"):
        # No max_chars: Streamlit silently drops a paste longer than it. The facade checks the length and
        # run_question shows its message ("The question has N characters; the limit is 1000").
        question = st.text_input("Question", key="question", placeholder="Is it good for reading?")
        st.caption(f"Up to {MAX_QUESTION_CHARS} characters.")
        submitted = st.form_submit_button("Ask", type="primary", key="ask_submit")
    if submitted:
        note = " (the first question also loads the model)" if mode != "retrieval" else ""
        with st.spinner(f"Reading the reviews{note}…"):
            st.session_state["last"] = run_question(api, mode, question, item_id, top_k_retriever, top_k_reader)
    last = st.session_state.get("last")
    if isinstance(last, LastRun):
        show_last(api, last)


# -- other pages -------------------------------------------------------------------------------
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
        st.dataframe(summary_table(found.results), hide_index=True)
    for number, result in enumerate(found.results):
        data = result.data
        title = f"{result.name} · {data.get('kind', '?')} · {data.get('created', '')}"
        with st.expander(title, expanded=number == 0):
            if data.get("command"):
                st.code(str(data["command"]), language="bash")
            for table_title, table in metric_tables(data.get("metrics", {})):
                st.markdown(f"**{table_title}**")
                st.dataframe(table, hide_index=True)
            if data.get("config"):
                st.json(data["config"], expanded=False)
    if found.plots:
        st.subheader("Plots")
        for plot in found.plots:
            st.image(str(plot), caption=plot.stem)


def pipeline_page(api: ReviewQA, mode: str) -> None:
    st.title("Pipeline")
    st.caption(
        f"The active pipeline ({mode} mode, {api.settings.retrieval.retriever} retriever), drawn locally from its "
        "graph: "
        "inputs at the top, connections labelled with their sockets and types, optional inputs inside each box."
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
    st.set_page_config(page_title="reviewqa", page_icon=":material/reviews:", layout="wide")
    page = st.sidebar.radio("Page", PAGES, key="page")
    settings, mode, top_k_retriever, top_k_reader = sidebar_settings()
    api = load_api(repr(settings), settings)
    if page == "Ask":
        ask_page(api, mode, top_k_retriever, top_k_reader)
    elif page == "Evaluation":
        evaluation_page()
    elif page == "Pipeline":
        pipeline_page(api, mode)
    else:
        feedback_page(api)


main()
