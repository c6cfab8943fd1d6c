"""`asymroute serve`: the OpenAI-compatible gateway, standalone with uvicorn."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from dataclasses import asdict, fields, replace
from typing import Any, get_args

from asymroute.cli.ask import add_context_arguments, context_from_args
from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.settings import AsyncHttpClientKind, Settings


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve", help="serve the OpenAI-compatible gateway (/v1/chat/completions, /v1/models)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (they share key budgets)"
    )
    serve.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="serve a non-loopback address with no API keys configured (anyone may call it)",
    )
    serve.add_argument("--no-access-log", action="store_true", help="don't log each request")
    serve.add_argument(
        "--http-client",
        choices=get_args(AsyncHttpClientKind),
        default=None,
        help="async HTTP client for OpenAI-compatible and Ollama upstreams (default: aiohttp "
        "when installed, less CPU per call under load; httpx: the clients' default)",
    )
    serve.add_argument(
        "--no-gc-tuning",
        action="store_true",
        help="keep CPython's default garbage-collector settings (see asymroute.gateway.gc_tuning)",
    )
    add_context_arguments(serve)
    serve.set_defaults(handler=run)


def check_bind_policy(host: str, has_keys: bool, allow_unauthenticated: bool) -> None:
    from asymroute.gateway.auth import is_loopback

    if has_keys or allow_unauthenticated or is_loopback(host):
        return
    raise ConfigurationError(
        f"refusing to serve on {host} with no API keys: anyone who can reach it could spend "
        "your frontier budget; set ASYMROUTE_GATEWAY_KEYS, bind to 127.0.0.1, or pass "
        "--allow-unauthenticated"
    )


def http_client_of(settings: Settings) -> str:
    """The one the environment names, else aiohttp when installed (`providers.async_http`)."""
    from importlib.util import find_spec

    if "async_http_client" in settings.model_fields_set:
        return settings.async_http_client
    installed = all(find_spec(name) is not None for name in ("aiohttp", "httpx_aiohttp"))
    return "aiohttp" if installed else "httpx"


def gateway_defaults(args: argparse.Namespace, base: RouterContext) -> RouterContext:
    """The settings' gateway context, with the routing flags given on the command line."""
    given, plain = context_from_args(args), RouterContext()
    overrides = {
        f.name: getattr(given, f.name)
        for f in fields(RouterContext)
        if getattr(given, f.name) != getattr(plain, f.name)
        # --max-tokens here is the gateway's own cap, not a client's: answers that run into it
        # still escalate (a client's max_tokens turns that off per request).
        and f.name != "truncation_escalates"
    }
    return replace(base, **overrides)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from asymroute.gateway.app import create_app, default_context
    from asymroute.gateway.settings import load_gateway_settings
    from asymroute.model_list import load_model_list

    if args.workers < 1:
        raise ConfigurationError(f"--workers must be at least 1, got {args.workers}")
    settings = load_gateway_settings()
    if settings.model_list_path is not None:
        # Checked here too, not only in each worker: a bad list or an unset key variable
        # stops `serve` before it binds, whatever the number of workers.
        load_model_list(settings.model_list_path)
    allow = args.allow_unauthenticated or settings.gateway_allow_unauthenticated_remote
    check_bind_policy(args.host, bool(settings.gateway_keys), allow)
    settings = settings.model_copy(
        update={
            "gateway_allow_unauthenticated_remote": allow,
            "gateway_tune_gc": not args.no_gc_tuning,
            "async_http_client": args.http_client or http_client_of(settings),
        }
    )
    defaults = gateway_defaults(args, default_context(settings))
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "access_log": not args.no_access_log,
        "log_level": "info",
    }
    if args.workers == 1:
        uvicorn.run(create_app(settings, defaults), **options)
        return 0
    # Workers import the app afresh: hand them the resolved choices through the environment.
    context = {k: v for k, v in asdict(defaults).items() if v != getattr(RouterContext(), k)}
    os.environ["ASYMROUTE_GATEWAY_CONTEXT"] = json.dumps(context)
    os.environ["ASYMROUTE_GATEWAY_ALLOW_UNAUTHENTICATED_REMOTE"] = "true" if allow else "false"
    os.environ["ASYMROUTE_GATEWAY_TUNE_GC"] = "true" if settings.gateway_tune_gc else "false"
    os.environ["ASYMROUTE_ASYNC_HTTP_CLIENT"] = settings.async_http_client
    # /metrics sums every worker's counts from files there (prometheus_client's multiprocess
    # mode); workers are new processes, which read it when they import prometheus_client.
    with tempfile.TemporaryDirectory(prefix="asymroute-metrics-") as metrics_dir:
        own = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
        try:
            uvicorn.run("asymroute.gateway.from_env:app", workers=args.workers, **options)
        finally:
            if own:  # the directory goes with the workers
                del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    return 0
