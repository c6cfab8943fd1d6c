"""The gateway's environment for live tests: real local and frontier models on loopback."""

from __future__ import annotations

import json
from pathlib import Path

KEY = "sk-asymroute-tests"
TINY_BUDGET_KEY = "sk-asymroute-tiny-budget"
TINY_BUDGET_USD = 1e-7  # spent by the first priced frontier answer


def gateway_env(
    openai_url: str, ollama_url: str, local_model: str, frontier_model: str, spend_path: Path
) -> dict:
    """`spend_path`: a fresh SQLite spend file, so no budget is spent before the test runs."""
    return {
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(spend_path),
        "OPENAI_BASE_URL": openai_url,
        "OLLAMA_BASE_URL": ollama_url,
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps(
            {
                "local_model": local_model,
                "frontier_model": frontier_model,
                "classifier": "heuristic",
                "max_output_tokens": 32,
            }
        ),
        "ASYMROUTE_PRICES": json.dumps(
            {frontier_model: {"input_per_million": 5.0, "output_per_million": 15.0}}
        ),
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"tests": KEY, "tiny": TINY_BUDGET_KEY}),
        "ASYMROUTE_GATEWAY_KEY_BUDGETS": json.dumps({"tiny": TINY_BUDGET_USD}),
        "LANGSMITH_TRACING": "false",
    }
