"""The gateway built from the environment (ASYMROUTE_GATEWAY_*, OPENAI_*, OLLAMA_*).

The LangGraph server mounts this `app` (`"http": {"app": ...}` in langgraph.json), next to
the graphs it serves; `asymroute serve --workers N` runs it in each uvicorn worker.
"""

from __future__ import annotations

from asymroute.gateway.app import create_app

app = create_app()
