"""`ChatOllama` with the two sampling options it has no fields for."""

from __future__ import annotations

from typing import Any

from langchain_ollama import ChatOllama


class PenalisedChatOllama(ChatOllama):
    """Also sends Ollama's `presence_penalty` and `frequency_penalty` options, which Ollama's
    runner reads (api.Options) but ChatOllama does not send."""

    presence_penalty: float | None = None
    frequency_penalty: float | None = None

    def _chat_params(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        params = super()._chat_params(*args, **kwargs)
        penalties = {
            name: value
            for name, value in (
                ("presence_penalty", self.presence_penalty),
                ("frequency_penalty", self.frequency_penalty),
            )
            if value is not None
        }
        if penalties:
            params["options"] = {**(params.get("options") or {}), **penalties}
        return params


# Traces and serialisation keep LangChain's class name.
PenalisedChatOllama.__name__ = PenalisedChatOllama.__qualname__ = "ChatOllama"
