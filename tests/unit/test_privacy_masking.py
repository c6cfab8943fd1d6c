"""Errors raised inside a chat model come out with secrets masked, for every observer."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import HumanMessage

from asymroute.providers.masking import mask_exception, masking_errors, with_masked_errors
from asymroute.resilience import classify_failure

SECRET = "my-own-secret-value-123"


class EchoError(Exception):
    def __init__(self) -> None:
        super().__init__(f"Error code: 401 - bad key Bearer {SECRET}")
        self.message = f"bad key Bearer {SECRET}"
        self.body = {"error": {"message": f"bad key Bearer {SECRET}"}}
        self.status_code = 401
        self.response = SimpleNamespace(
            status_code=401,
            headers={"retry-after": "2", "x-echo": SECRET},
            text=f'{{"error": "Bearer {SECRET}"}}',
        )


def test_mask_exception_masks_args_message_body_and_response_but_keeps_status() -> None:
    exc = EchoError()
    mask_exception(exc, (SECRET,))

    assert SECRET not in repr(exc.args) + exc.message + str(exc.body)
    assert SECRET not in exc.response.text + str(exc.response.headers)
    assert exc.response.json() == {"error": "Bearer [REDACTED]"}
    assert classify_failure(exc).status == 401
    assert classify_failure(exc).retry_after_s == 2.0


class FailingFake(GenericFakeChatModel):
    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise EchoError()


@pytest.mark.parametrize("use_async", [False, True])
def test_a_masking_model_raises_masked_errors_under_its_own_name(use_async: bool) -> None:
    import asyncio

    model = with_masked_errors(masking_errors(FailingFake)(messages=iter([])), (SECRET,))
    assert type(model).__name__ == "FailingFake"
    with pytest.raises(EchoError) as raised:
        if use_async:
            asyncio.run(model.ainvoke([HumanMessage("hi")]))
        else:
            model.invoke([HumanMessage("hi")])
    assert SECRET not in str(raised.value) and "[REDACTED]" in str(raised.value)
