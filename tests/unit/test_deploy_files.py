"""deploy/: the compose file (gateway replicas + Redis + Postgres behind nginx) cannot be run
here (no container engine), so what can be checked without one is: it parses, its services
point at one another, and it names only settings and `serve` options asymroute has."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from asymroute.cli import build_parser
from asymroute.gateway.settings import GatewaySettings
from asymroute.settings import accepted_names

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_runs_gateway_replicas_on_one_redis_and_one_postgres() -> None:
    services = compose()["services"]
    assert set(services) == {"gateway", "lb", "redis", "postgres"}
    gateway = services["gateway"]
    env = gateway["environment"]
    assert urlsplit(env["ASYMROUTE_REDIS_URL"]).hostname == "redis"
    assert urlsplit(env["ASYMROUTE_POSTGRES_URL"]).hostname == "postgres"
    assert gateway["deploy"]["replicas"] >= 2
    assert set(gateway["depends_on"]) == {"redis", "postgres"}
    assert "/health/readiness" in " ".join(gateway["healthcheck"]["test"])


def test_the_gateway_command_is_a_valid_serve_command_on_the_balanced_port() -> None:
    command = compose()["services"]["gateway"]["command"]
    assert command[0] == "asymroute"
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve" and args.host == "0.0.0.0"
    assert f"gateway:{args.port}" in (DEPLOY / "nginx.conf").read_text()


def test_every_asymroute_setting_named_in_deploy_exists() -> None:
    text = (DEPLOY / "compose.yaml").read_text() + (DEPLOY / "env.example").read_text()
    named = set(re.findall(r"\bASYMROUTE_[A-Z_]+\b", text))
    assert named, "the files name no settings"
    assert named - accepted_names(GatewaySettings) == set()


def test_the_image_copies_what_exists() -> None:
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (DEPLOY.parent / source).exists(), source
