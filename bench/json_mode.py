"""JSON mode on the embedded local model: schema-valid answers with the grammar and without.

    python bench/json_mode.py [--rounds 2]

Asks the default local model (SmolLM2-135M through llama.cpp, in process) for one small JSON
object per prompt, each prompt once with the request's JSON schema turned into a llama.cpp
grammar (what asymroute now sends) and once as before (the schema only in the prompt, nothing
forwarded), interleaved, and prints how many answers the `format` validator accepts (each
failure is an escalation to the paid tier) and the time per answer, as a ratio of the two.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asymroute.json_mode import expected_schema  # noqa: E402
from asymroute.providers import ModelOptions  # noqa: E402
from asymroute.providers.llamacpp import LlamaCppProvider  # noqa: E402
from asymroute.settings import Settings  # noqa: E402
from asymroute.validators.format import json_errors  # noqa: E402

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "Place", "schema": SCHEMA}}
COUNTRIES = ["France", "Japan", "Italy", "Spain", "Germany", "Egypt", "Canada", "Peru", "Kenya"]


def prompt(country: str) -> str:
    return (
        f"What is the capital of {country}? Reply with only a JSON object with the keys "
        '"city" and "country", for example {"city": "...", "country": "..."}.'
    )


def run(model: Any, country: str) -> tuple[bool, float, str]:
    started = time.perf_counter()
    reply = model.invoke([("user", prompt(country))])
    elapsed = time.perf_counter() - started
    valid = not json_errors(str(reply.content), expected_schema(RESPONSE_FORMAT)[1])
    return valid, elapsed, str(reply.response_metadata.get("finish_reason"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    models = {
        name: LlamaCppProvider().create(
            "smollm2",
            settings,
            ModelOptions(128, 0.0, 120.0, 5.0, response_format=response_format),
        )
        for name, response_format in (("grammar", RESPONSE_FORMAT), ("prompt only", None))
    }
    models["grammar"].invoke([("user", "hi")])  # load the weights once, outside the timings
    results: dict[str, list[tuple[bool, float, str]]] = {name: [] for name in models}
    for _ in range(args.rounds):
        for country in COUNTRIES:
            for name, model in models.items():
                results[name].append(run(model, country))
    seconds = {name: sum(row[1] for row in rows) / len(rows) for name, rows in results.items()}
    for name, rows in results.items():
        valid = sum(row[0] for row in rows)
        cut_off = sum(not row[0] and row[2] == "length" for row in rows)
        print(
            f"{name:12} schema-valid {valid}/{len(rows)} (invalid and cut off at the cap: "
            f"{cut_off})  {seconds[name]:.2f} s per answer"
        )
    ratio = seconds["grammar"] / seconds["prompt only"]
    print(f"time per answer, grammar / prompt only: {ratio:.2f}x")


if __name__ == "__main__":
    main()
