"""Generative QA (RAG): the grounded prompt, the generator and how a reply says "I don't know".

The pipeline itself (retriever -> grounded chat prompt -> generator -> answer builder) is defined
with the others in `qa.pipelines.definitions`.

The generator sees only the retrieved reviews of the asked product, numbered [1]..[n], and is told
to answer from them alone and to say "I don't know" otherwise. The answer builder returns every
review the generator was given, each marked `referenced` when the reply cites its number; those
are the reviews the answer used (all of them when the reply cites none: they were its only source).
"""

from __future__ import annotations

import re

from haystack.dataclasses import ChatMessage
from haystack.utils import ComponentDevice

from qa.config import Settings
from qa.device import resolve_device
from qa.nodes.generator import LocalChatGenerator

SYSTEM_PROMPT = (
    "You answer questions about a product using only the customer reviews you are given. "
    "If the reviews do not contain the answer, reply exactly: I don't know."
)
#: Each review is cut to this many characters so that three of them fit SmolLM2's context.
REVIEW_CHARS = 1200
USER_TEMPLATE = (
    "Reviews:\n"
    "{% for document in documents %}[{{ loop.index }}] {{ document.content | truncate(" + str(REVIEW_CHARS) + ") }}\n"
    "{% endfor %}\n"
    "Question: {{ query }}\n"
    "Answer in one short sentence using only these reviews. If they do not say, answer: I don't know."
)
#: Answers are asked for in one sentence; this also bounds the time a rambling reply takes.
MAX_NEW_TOKENS = 64
PROMPT_TEMPLATE = [ChatMessage.from_system(SYSTEM_PROMPT), ChatMessage.from_user(USER_TEMPLATE)]

# The one rule deciding that a generated reply means "no answer" (used by the API and by eval).
_NO_ANSWER = re.compile(
    r"\b(i\s+(do\s*n['’]?o?t|don['’]t|cannot|can['’]t)\s+(know|tell|say|answer|determine|find)"
    r"|(reviews?|text)\s+(do|does)\s*(n['’]t|not)\s+(say|mention|contain|specify|provide|state)"
    r"|no\s+(information|mention|answer)"
    r"|not\s+(mentioned|specified|stated)"
    r"|(i['’]?m|i\s+am)\s+(not\s+sure|unable\s+to)"
    r"|unable\s+to\s+(answer|provide|determine|find|say|tell))\b",
    re.IGNORECASE,
)


def is_no_answer(text: str | None) -> bool:
    """True when a generated reply is empty or says the reviews don't answer ("I don't know", ...)."""
    if text is None or not text.strip():
        return True
    return _NO_ANSWER.search(text) is not None


def build_generator(settings: Settings) -> LocalChatGenerator:
    """The generator `settings.nlp.generator_model` names ("auto" = the packaged SmolLM2, offline)."""
    return LocalChatGenerator(
        model=settings.nlp.generator_model,
        device=ComponentDevice.from_str(resolve_device(settings.device)),
        max_new_tokens=MAX_NEW_TOKENS,
    )
