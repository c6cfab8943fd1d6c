"""Validators that ask the local model several times and judge by how the replies vote.

`self_verify` (a verdict per verification) and `consistency` (agreement per re-solution) share
this: send each request, leave failed and voteless replies out but count them, then pass the
answer when the share of agreeing votes reaches the policy's minimum, and abstain (or fail,
per `unmeasured_policy`) when no reply voted at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage

from asymroute.effects import CallTier, Steps
from asymroute.validators.base import Judgement, ValidationPolicy, unmeasured
from asymroute.validators.replies import reply_text


@dataclass(frozen=True)
class Votes:
    asked: int
    voted: int
    """Replies that gave a vote (the others failed or could not be read)."""
    agreeing: int
    failures: tuple[str, ...]


def collect_votes(
    requests: Iterable[Sequence[BaseMessage]], vote: Callable[[str], bool | None]
) -> Steps[Votes]:
    """Send each request to the local model, read each reply's vote (None: no vote)."""
    asked = voted = agreeing = 0
    failures: list[str] = []
    for messages in requests:
        asked += 1
        reply = yield CallTier("local", messages)
        if reply.error is not None:
            failures.append(reply.error)
            continue
        verdict = vote(reply_text(reply))
        if verdict is not None:
            voted += 1
            agreeing += verdict
    return Votes(asked, voted, agreeing, tuple(failures))


def judge_votes(
    policy: ValidationPolicy, votes: Votes, minimum: float, *, no_vote: str, summary: str
) -> Judgement:
    """`no_vote` ends "none of N ..." when no reply voted; `summary` is the reason otherwise."""
    if not votes.voted:
        why = f"none of {votes.asked} {no_vote}"
        return unmeasured(policy, why + (f" ({votes.failures[0]})" if votes.failures else ""))
    agreement = votes.agreeing / votes.voted
    if agreement < minimum:
        return Judgement(False, (f"{summary}: below {minimum}",), agreement)
    return Judgement(True, (summary,), agreement)
