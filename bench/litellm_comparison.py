"""LiteLLM's proxy on the same load as bench/gateway_load.py: the reference, on this machine.

Starts the same upstream stub and a LiteLLM proxy (from another environment, which has
`litellm[proxy]` installed) with the stub as its one model, then runs gateway_load's phases:
the requests straight to the stub and through LiteLLM, at fixed concurrency (or `--rate`),
then one at a time. LiteLLM's own overhead is its `x-litellm-overhead-duration-ms` header:
its time from the start of its auth step to the end of the provider call, minus the provider
call (the OpenAI SDK's request and parse), which is what asymroute's overhead header measures.

    python bench/litellm_comparison.py --litellm-python /path/to/venv/bin/python
        [--requests 2000] [--concurrency 200] [--workers 1] [--upstream-delay-ms 0]
        [--rate REQUESTS_PER_S] [--sequential 300]

The proxy runs as LiteLLM's benchmark docs configure it (no callbacks, no retries) and with
nothing this bench does not need: no database, spend or error logs, telemetry, access log
(LITELLM_LOG=ERROR), or network fetch of the model cost map.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_client import (  # noqa: E402
    COMPLETIONS_PATH,
    KEY,
    PROMPTS,
    Connection,
    Target,
    add_load_arguments,
    compare,
    phase_name,
    stub_command,
)
from bench.support.processes import free_port, running_server  # noqa: E402

MODEL = "stub-frontier"
OVERHEAD_HEADER = "x-litellm-overhead-duration-ms"
LITELLM = Target("LiteLLM", MODEL, OVERHEAD_HEADER)
VERSION_CHECK = (
    "import importlib.metadata as m, importlib.util as u; "
    "missing = [p for p in ('litellm', 'fastapi', 'uvicorn') if u.find_spec(p) is None]; "
    "print('missing: ' + ', '.join(missing) if missing else m.version('litellm'))"
)


def litellm_version(python: str) -> str:
    """The installed litellm's version; exits with a clear message when it cannot run."""
    try:
        out = subprocess.run(
            [python, "-c", VERSION_CHECK], capture_output=True, text=True, timeout=60
        )
    except OSError as exc:
        raise SystemExit(f"--litellm-python {python}: cannot run it ({exc})") from exc
    answer = out.stdout.strip()
    if out.returncode != 0 or not answer or answer.startswith("missing"):
        raise SystemExit(
            f"--litellm-python {python}: litellm's proxy is not installed there "
            f"({answer or out.stderr.strip()[-300:]}); run `{python} -m pip install "
            "'litellm[proxy]'`"
        )
    return answer


def proxy_config(stub_url: str) -> dict[str, object]:
    """One model, the stub; `sk-bench` as master key (gateway_load sends it as Bearer)."""
    return {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": f"{stub_url}/v1",
                    "api_key": "sk-stub",
                },
            }
        ],
        "litellm_settings": {
            "callbacks": [],
            "num_retries": 0,
            "request_timeout": 30,
            "telemetry": False,
        },
        "general_settings": {
            "master_key": KEY,
            "disable_spend_logs": True,
            "disable_error_logs": True,
        },
    }


async def probe(proxy_url: str) -> str:
    """One request: checks that LiteLLM answers and sends its overhead header."""
    connection = await Connection.open(proxy_url)
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": PROMPTS[0]}]})
    try:
        status, headers, payload = await connection.post(COMPLETIONS_PATH, body.encode())
    finally:
        connection.close()
    if status != 200 or OVERHEAD_HEADER not in headers:
        raise SystemExit(f"LiteLLM probe failed: {status} {sorted(headers)} {payload[:300]!r}")
    return headers.get("x-litellm-version", "?")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--litellm-python", required=True, help="interpreter of a venv with litellm[proxy]"
    )
    add_load_arguments(parser)
    args = parser.parse_args()
    version = litellm_version(args.litellm_python)

    work = Path(tempfile.mkdtemp(prefix="litellm-load-"))
    stub_port, proxy_port = free_port(), free_port()
    stub_url = f"http://127.0.0.1:{stub_port}"
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    config = work / "config.yaml"
    config.write_text(json.dumps(proxy_config(stub_url), indent=2))  # JSON is valid YAML
    stub = stub_command(stub_port, args.upstream_delay_ms)
    proxy = [
        args.litellm_python, "-m", "litellm.proxy.proxy_cli", "--config", str(config),
        "--host", "127.0.0.1", "--port", str(proxy_port), "--num_workers", str(args.workers),
    ]  # fmt: skip
    env = {
        "LITELLM_LOG": "ERROR",  # also uvicorn's log level: no access log, as for asymroute
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no network fetch at start
        "LITELLM_TELEMETRY": "False",
    }
    with (
        running_server(stub, f"{stub_url}/v1/models", work / "stub.log"),
        running_server(proxy, f"{proxy_url}/health/liveliness", work / "litellm.log", env=env),
    ):
        print(f"litellm {version}: {args.requests} requests at {phase_name(args)}")
        print(f"logs in {work}")
        print(f"LiteLLM answering as version {asyncio.run(probe(proxy_url))}")
        return asyncio.run(compare(args, stub_url, proxy_url, LITELLM, MODEL))


if __name__ == "__main__":
    raise SystemExit(main())
