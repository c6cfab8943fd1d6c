"""Follow-up routing: a conversation is routed as a conversation, not as its last message.

A short follow-up ("and why?", "make it faster") carries little text, so any classifier
scores it low, although it continues whatever exchange came before. Policy `inherit` (the
default) gives a follow-up the higher of its own score and the score of the turn it follows,
so it keeps that turn's tier; the classifier can still send a follow-up *up* to the frontier
on its own evidence (it is confident), but never *down* on the evidence of a few words.
Policy `latest` scores the latest user message alone.

What counts as a follow-up: at most `followup_max_words` words, and either very short
(two words or fewer) or worded as a continuation: it opens with a connective ("and",
"but", "why", "what about", ...) or refers back ("it", "that", "this", "them",
"again", "instead", "faster", ...). A short but self-contained question ("What is 2+3?")
is not a follow-up and is scored on its own, and neither is a turn that says it changes the
subject ("unrelated:", "different question", "by the way", "forget it"). "ok", "so", "also"
and "now" open new requests as often as follow-ups ("also, what year did the Berlin Wall
fall?"), so they count only before a connective ("ok, and why?"); a follow-up that opens with
them nearly always refers back ("now make it shorter"). Measured on chats whose users change
subject (`bench/followup_probe.py`): inheriting after such openers and announced changes cost
more than it kept.

In an agent loop, a step that answers a tool result (the conversation ends with a
`ToolMessage`) has no new user turn: it is scored on the user turn it serves, so every step of
one task starts on the same tier, and a short "now summarise that" after a tool result is a
follow-up of that turn like any other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage

from asymroute.classifiers import Classifier, ComplexityScore
from asymroute.context import RouterContext
from asymroute.requests import content_text

CONTINUATION_OPENERS = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|also|now|well|right)\W*\s+){0,2}"  # a lead-in alone is not enough
    r"(and|but|then|or|why|how come|what about|how about|what if|"
    r"same|again|instead|more|less|another|one more|go on|continue|elaborate|expand)\b",
    re.IGNORECASE,
)
TOPIC_CHANGES = re.compile(
    r"\b(unrelated|different (question|topic|subject|thing)|another (question|topic|subject)|"
    r"new (question|topic|subject)|switch(ing)? (topics?|subjects?|gears)|"
    r"chang(e|ing) (of )?(the )?(topic|subject)|on another note|by the way|btw|"
    r"random question|off[- ]topic|forget (it|that|about (it|that)))\b",
    re.IGNORECASE,
)
BACK_REFERENCES = re.compile(
    r"\b(it|its|that|this|these|those|them|they|their|same|above|previous|earlier|again|"
    r"instead|shorter|longer|faster|slower|simpler|cleaner|better|more|less)\b",
    re.IGNORECASE,
)
VERY_SHORT_WORDS = 2
LOOKBACK_TURNS = 20
"""User turns considered; a longer chain of follow-ups starts from the oldest of these."""


@dataclass(frozen=True)
class FollowupPolicy:
    mode: str = "inherit"
    max_words: int = 12


def followup_policy(context: RouterContext) -> FollowupPolicy:
    return FollowupPolicy(mode=context.followup_policy, max_words=context.followup_max_words)


def is_followup(text: str, max_words: int) -> bool:
    words = len(text.split())
    if words == 0 or words > max_words or TOPIC_CHANGES.search(text):
        return False
    if words <= VERY_SHORT_WORDS:
        return True
    return bool(CONTINUATION_OPENERS.search(text) or BACK_REFERENCES.search(text))


def user_turns(messages: Sequence[BaseMessage]) -> list[str]:
    return [content_text(m) for m in messages if isinstance(m, HumanMessage)]


def score_turns(
    turns: Sequence[str], classifier: Classifier, policy: FollowupPolicy
) -> ComplexityScore:
    """The latest turn's effective score under the policy (turns oldest first)."""
    if not turns:
        raise ValueError("score_turns needs at least one user turn")
    if policy.mode == "latest" or len(turns) == 1:
        return classifier.score(turns[-1])
    window = turns[-LOOKBACK_TURNS:]
    effective = classifier.score(window[0])
    for text in window[1:]:
        own = classifier.score(text)
        if is_followup(text, policy.max_words) and effective.score > own.score:
            note = (
                f"follow-up to a turn scored {effective.score:.3f}: inherits its score "
                f"(own score {own.score:.3f}, policy inherit)"
            )
            effective = ComplexityScore(effective.score, (*own.reasons, note))
        else:
            effective = own
    return effective


def score_conversation(
    messages: Sequence[BaseMessage], classifier: Classifier, policy: FollowupPolicy
) -> ComplexityScore:
    """Score the latest user turn in the light of the conversation before it."""
    score = score_turns(user_turns(messages), classifier, policy)
    if messages and isinstance(messages[-1], ToolMessage):
        note = "step after a tool result: scored on the user turn it serves"
        return ComplexityScore(score.score, (*score.reasons, note))
    return score
