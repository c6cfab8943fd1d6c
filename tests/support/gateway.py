"""The gateway's environment for live tests: real local and frontier models on loopback."""

from __future__ import annotations

import json
from pathlib import Path

KEY = "sk-asymroute-tests"
TINY_BUDGET_KEY = "sk-asymroute-tiny-budget"
BUDGET_PROMPT = "Analyze and debug this parser, then refactor it to be thread-safe."
MAX_OUTPUT_TOKENS = 32
# Room for one worst case of BUDGET_PROMPT (a token a byte in, 32 out, at the frontier's price
# below); once one priced frontier answer is spent, that worst case no longer fits.
TINY_BUDGET_USD = (len(BUDGET_PROMPT.encode()) + 4) * 5e-6 + MAX_OUTPUT_TOKENS * 15e-6


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
                "max_output_tokens": MAX_OUTPUT_TOKENS,
            }
        ),
        "ASYMROUTE_PRICES": json.dumps(
            {frontier_model: {"input_per_million": 5.0, "output_per_million": 15.0}}
        ),
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"tests": KEY, "tiny": TINY_BUDGET_KEY}),
        "ASYMROUTE_GATEWAY_KEY_BUDGETS": json.dumps({"tiny": TINY_BUDGET_USD}),
        "LANGSMITH_TRACING": "false",
    }


STUB_FRONTIER = "openai:stub-frontier"
STUB_LOCAL = "openai:stub-local"


def stub_gateway_env(stub_url: str, key: str, budget_usd: float, **extra: str) -> dict[str, str]:
    """Both tiers on the upstream stub (`bench/support/upstream_stub.py`), one key named `team`
    with a budget; the frontier at $5 / $15 per million tokens, the local tier free."""
    return {
        "OPENAI_BASE_URL": f"{stub_url}/v1",
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"team": key}),
        "ASYMROUTE_GATEWAY_KEY_BUDGETS": json.dumps({"team": budget_usd}),
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps(
            {"local_model": STUB_LOCAL, "frontier_model": STUB_FRONTIER, "classifier": "heuristic"}
        ),
        "ASYMROUTE_PRICES": json.dumps(
            {
                STUB_FRONTIER: {"input_per_million": 5.0, "output_per_million": 15.0},
                STUB_LOCAL: {"input_per_million": 0, "output_per_million": 0},
            }
        ),
        "LANGSMITH_TRACING": "false",
        **extra,
    }
