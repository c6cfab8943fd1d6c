"""The OpenAI provider's async path answers exactly as LangChain's ChatOpenAI, minus a thread hop.

Both models talk to the same in-memory upstream (an httpx MockTransport, no socket).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_openai import ChatOpenAI
from langchain_openai.chat_models import base as openai_chat

from asymroute.providers.openai import direct_result_chat_openai
from asymroute.resilience import classify_failure

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "system_fingerprint": "fp",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "The answer is 5."},
            "finish_reason": "stop",
            "logprobs": {
                "content": [{"token": "The", "logprob": -0.1, "bytes": None, "top_logprobs": []}]
            },
        }
    ],
    "usage": {"prompt_tokens": 20, "completion_tokens": 6, "total_tokens": 26},
}


def upstream(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    sent: list[dict[str, Any]] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(status, json=body, headers=headers or {})

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handle)), sent


def model(cls: type, client: Any) -> Any:
    return cls(
        model="m",
        api_key="k",
        base_url="http://upstream.test/v1",
        http_async_client=client,
        max_retries=0,
        stop_sequences=["\n\n"],
        logprobs=True,
        top_logprobs=1,
    )


def answer(cls: type, status: int, body: dict[str, Any], **headers: str) -> Any:
    client, sent = upstream(status, body, headers)
    return asyncio.run(model(cls, client).ainvoke([HumanMessage("What is 2+3?")])), sent


def test_same_request_and_same_message_as_chat_openai() -> None:
    ours, ours_sent = answer(direct_result_chat_openai(), 200, COMPLETION)
    theirs, their_sent = answer(ChatOpenAI, 200, COMPLETION)

    assert ours_sent == their_sent and ours_sent[0]["stop"] == ["\n\n"]
    assert isinstance(ours, AIMessage)
    assert ours.content == theirs.content == "The answer is 5."
    assert ours.usage_metadata == theirs.usage_metadata
    assert ours.usage_metadata and ours.usage_metadata["output_tokens"] == 6
    assert ours.response_metadata == theirs.response_metadata
    assert ours.response_metadata["logprobs"]["content"][0]["logprob"] == -0.1


def test_the_result_is_built_without_a_thread_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_thread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("run_in_executor was called")

    monkeypatch.setattr(openai_chat, "run_in_executor", no_thread)
    ours, _ = answer(direct_result_chat_openai(), 200, COMPLETION)
    assert ours.content == "The answer is 5."
    with pytest.raises(AssertionError, match="run_in_executor"):
        answer(ChatOpenAI, 200, COMPLETION)


@pytest.mark.parametrize(
    ("status", "headers", "error_type"),
    [
        (429, {"retry-after": "3"}, openai.RateLimitError),
        (500, {}, openai.InternalServerError),
        (400, {}, openai.BadRequestError),
        (404, {}, openai.NotFoundError),
    ],
)
def test_errors_are_translated_like_chat_openai(
    status: int, headers: dict[str, str], error_type: type
) -> None:
    body = {"error": {"message": f"upstream said {status}", "type": "x"}}
    raised = []
    for cls in (direct_result_chat_openai(), ChatOpenAI):
        with pytest.raises(error_type) as caught:
            answer(cls, status, body, **headers)
        raised.append(caught.value)
    ours, theirs = raised
    assert type(ours) is type(theirs)
    assert classify_failure(ours) == classify_failure(theirs)
    assert classify_failure(ours).status == status
    if headers:
        assert classify_failure(ours).retry_after_s == 3.0


def test_keeps_chat_openai_class_name() -> None:
    assert direct_result_chat_openai().__name__ == "ChatOpenAI"
    assert issubclass(direct_result_chat_openai(), ChatOpenAI)
