"""Agent loops through the gateway: how many steps stay local, and what it costs.

    python bench/agent_routing.py [--tasks N] [--max-tokens 96]

Starts `asymroute serve` on loopback with its default embedded local tier (SmolLM2-135M, in
process) and the upstream stub as the frontier (bench/support/upstream_stub.py: a scripted agent
that calls each offered tool in turn, then answers quoting the results; $5/$15 per million
tokens). Runs a task set written for this project (weather lookups, unit conversion,
arithmetic; one- and two-tool chains, phrased simply or as analysis requests) as an OpenAI-SDK
agent loop: call the gateway with the tools, run each tool call locally, send the results back,
until the model answers in text (at most 6 steps). A task succeeds when the final answer
contains its expected value.

Each task runs twice, interleaved: routed (`model="asymroute"`) and all-frontier
(`model="router-0"`: threshold 0). Printed: the share of steps answered locally, escalations,
task success on both, frontier cost routed vs all-frontier, and the gateway's overhead per step
(`x-asymroute-overhead-ms`: time in the gateway not spent waiting on a model).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402

from bench.support.processes import free_port, running_server  # noqa: E402

KEY = "sk-agent-bench"
FRONTIER = "openai:stub-frontier"
MAX_STEPS = 6
WEATHER_C = {
    "Paris": 18, "Oslo": 4, "Rome": 24, "Cairo": 33, "Lima": 19, "Tokyo": 21, "Madrid": 27,
    "Dublin": 11, "Nairobi": 23, "Quebec": -3, "Delhi": 36, "Sydney": 15, "Berlin": 9,
}  # fmt: skip


def _function(name: str, description: str, **properties: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {key: {"type": kind} for key, kind in properties.items()},
                "required": list(properties),
            },
        },
    }


GET_WEATHER = _function(
    "get_weather", "The current temperature of a city, in Celsius.", city="string"
)
TO_FAHRENHEIT = _function("to_fahrenheit", "Convert Celsius to Fahrenheit.", celsius="number")
ADD = _function("add", "Add two numbers.", a="number", b="number")
DOUBLE = _function("double", "Double a number.", x="number")


def run_tool(name: str, args: dict[str, Any]) -> str:
    if name == "get_weather":
        city = str(args.get("city", "")).strip().title()
        return f"{WEATHER_C[city]}C" if city in WEATHER_C else f"unknown city {city!r}"
    number = {"to_fahrenheit": lambda: args["celsius"] * 9 / 5 + 32,
              "add": lambda: args["a"] + args["b"], "double": lambda: args["x"] * 2}  # fmt: skip
    try:
        return f"{float(number[name]()):g}" + ("F" if name == "to_fahrenheit" else "")
    except (KeyError, TypeError) as exc:
        return f"error: {exc}"


@dataclass(frozen=True)
class Task:
    prompt: str
    tools: tuple[dict[str, Any], ...]
    expected: str


def fahrenheit(celsius: float) -> str:
    return f"{celsius * 9 / 5 + 32:g}"


def tasks() -> list[Task]:
    cities = list(WEATHER_C)
    made: list[Task] = []
    for city in cities:
        c = WEATHER_C[city]
        made.append(Task(f"What is the temperature in {city}?", (GET_WEATHER,), f"{c}"))
        made.append(
            Task(
                f"Look up the temperature in {city}, then convert it to Fahrenheit and analyze "
                "whether it is comfortable for a long outdoor run, explaining your reasoning.",
                (GET_WEATHER, TO_FAHRENHEIT),
                fahrenheit(c),
            )
        )
    for a, b in [
        (12, 30),
        (7, 8),
        (21, 21),
        (100, 250),
        (3, 4),
        (45, 55),
        (9, 16),
        (64, 36),
        (5, 6),
        (81, 19),
    ]:
        made.append(Task(f"What is {a} plus {b}?", (ADD,), f"{a + b:g}"))
        made.append(
            Task(
                f"Add {a} and {b}, then double the result, and explain step by step how you "
                "verified each intermediate value.",
                (ADD, DOUBLE),
                f"{2 * (a + b):g}",
            )
        )
    for c in (0, 25, 37, 100, -40, 60):
        made.append(Task(f"Convert {c} Celsius to Fahrenheit.", (TO_FAHRENHEIT,), fahrenheit(c)))
    return made


@dataclass
class Outcome:
    tiers: list[str] = field(default_factory=list)
    escalated: int = 0
    cost_usd: float = 0.0
    overhead_ms: list[float] = field(default_factory=list)
    answer: str = ""
    error: str | None = None


def run_task(client: openai.OpenAI, model: str, task: Task, max_tokens: int) -> Outcome:
    outcome = Outcome()
    messages: list[dict[str, Any]] = [{"role": "user", "content": task.prompt}]
    for _ in range(MAX_STEPS):
        try:
            raw = client.chat.completions.with_raw_response.create(
                model=model,
                messages=messages,
                tools=list(task.tools),
                max_tokens=max_tokens,  # type: ignore[arg-type]
            )
        except openai.APIError as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"[:200]
            return outcome
        headers = raw.headers
        outcome.tiers.append(headers["x-asymroute-tier"])
        outcome.escalated += headers["x-asymroute-escalated"] == "true"
        outcome.cost_usd += float(headers["x-asymroute-cost-usd"])
        outcome.overhead_ms.append(float(headers["x-asymroute-overhead-ms"]))
        message = raw.parse().choices[0].message
        if not message.tool_calls:
            outcome.answer = message.content or ""
            return outcome
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = run_tool(call.function.name, json.loads(call.function.arguments))  # type: ignore[union-attr]
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    outcome.error = f"no text answer after {MAX_STEPS} steps"
    return outcome


def summary(
    name: str, outcomes: list[Outcome], succeeded: Callable[[Outcome], bool]
) -> dict[str, Any]:
    steps = [tier for o in outcomes for tier in o.tiers]
    overhead = [ms for o in outcomes for ms in o.overhead_ms]
    return {
        "run": name,
        "tasks": len(outcomes),
        "success": sum(map(succeeded, outcomes)),
        "steps": len(steps),
        "local_steps": steps.count("local"),
        "escalations": sum(o.escalated for o in outcomes),
        "errors": sum(o.error is not None for o in outcomes),
        "frontier_cost_usd": round(sum(o.cost_usd for o in outcomes), 6),
        "overhead_ms_median": round(statistics.median(overhead), 2) if overhead else None,
        "overhead_ms_p90": round(statistics.quantiles(overhead, n=10)[-1], 2)
        if len(overhead) > 1
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=0, help="run only the first N tasks")
    parser.add_argument("--max-tokens", type=int, default=96, help="cap of each answer")
    args = parser.parse_args()
    chosen = tasks()[: args.tasks or None]
    logs = Path(tempfile.mkdtemp(prefix="agent-bench-"))
    stub_port, port = free_port(), free_port()
    stub, url = f"http://127.0.0.1:{stub_port}", f"http://127.0.0.1:{port}"
    env = {
        "OPENAI_BASE_URL": f"{stub}/v1",
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps({"frontier_model": FRONTIER}),
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"bench": KEY}),
        "ASYMROUTE_PRICES": json.dumps(
            {FRONTIER: {"input_per_million": 5.0, "output_per_million": 15.0}}
        ),
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(logs / "spend.sqlite"),
        "LANGSMITH_TRACING": "false",
    }
    stub_command = [
        sys.executable,
        str(ROOT / "bench/support/upstream_stub.py"),
        "--port",
        str(stub_port),
    ]
    serve = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    with (
        running_server(stub_command, f"{stub}/v1/models", logs / "stub.log"),
        running_server(serve, f"{url}/v1/models", logs / "gateway.log", env=env, cwd=ROOT),
    ):
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=600)
        routed: list[Outcome] = []
        frontier: list[Outcome] = []
        for index, task in enumerate(chosen, 1):
            routed.append(run_task(client, "asymroute", task, args.max_tokens))
            frontier.append(run_task(client, "router-0", task, args.max_tokens))
            print(
                f"[{index}/{len(chosen)}] {'/'.join(routed[-1].tiers)}: {task.prompt[:60]}",
                file=sys.stderr,
            )
    by_outcome = dict(zip(map(id, routed + frontier), chosen + chosen, strict=True))

    def succeeded(outcome: Outcome) -> bool:
        return outcome.error is None and by_outcome[id(outcome)].expected in outcome.answer

    for outcome, task in zip(routed, chosen, strict=True):
        if not succeeded(outcome):
            why = outcome.error or f"answer {outcome.answer[:70]!r} lacks {task.expected!r}"
            print(f"failed ({'/'.join(outcome.tiers)}): {task.prompt[:50]}: {why}", file=sys.stderr)
    rows = [summary("routed", routed, succeeded), summary("all-frontier", frontier, succeeded)]
    for row in rows:
        print(json.dumps(row))
    r, f = rows
    print(
        f"steps kept local: {r['local_steps']}/{r['steps']} ({r['local_steps'] / r['steps']:.0%}); "
        f"escalations: {r['escalations']}; task success: routed {r['success']}/{r['tasks']}, "
        f"all-frontier {f['success']}/{f['tasks']}; frontier cost: routed "
        f"${r['frontier_cost_usd']:.6f} vs all-frontier ${f['frontier_cost_usd']:.6f} "
        f"({r['frontier_cost_usd'] / f['frontier_cost_usd']:.0%}); gateway overhead per step: "
        f"median {r['overhead_ms_median']} ms routed, {f['overhead_ms_median']} ms all-frontier"
    )


if __name__ == "__main__":
    main()
