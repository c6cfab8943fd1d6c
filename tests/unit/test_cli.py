"""The `asymroute ask` command: output, JSON, and one-line errors with exit codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asymroute.cli import EXIT_FAILED, EXIT_USAGE, main

FAKE_TIERS = ["--local-model", "fake:good", "--frontier-model", "fake:frontier"]


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("asymroute: error: ")
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_empty_prompt_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "   "]) == EXIT_USAGE == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, "the prompt is empty or whitespace only")


def test_unknown_provider_exits_2_listing_providers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "hi", "--local-model", "vllm:qwen"]) == EXIT_USAGE

    _, err = capsys.readouterr()
    assert_one_line_error(
        err, "unknown provider 'vllm'", "llamacpp (e.g.", "ollama (e.g.", "openai (e.g."
    )


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--threshold", "1.5", "threshold must be within [0, 1], got 1.5"),
        ("--max-tokens", "0", "max_output_tokens must be a positive integer"),
        ("--temperature", "3", "temperature must be within [0, 2]"),
        ("--classifier", "bayes", "unknown classifier 'bayes'"),
    ],
)
def test_bad_option_values_exit_2(
    capsys: pytest.CaptureFixture[str], option: str, value: str, fragment: str
) -> None:
    assert main(["ask", "hi", option, value]) == EXIT_USAGE

    _, err = capsys.readouterr()
    assert_one_line_error(err, fragment)


def test_ask_prints_the_answer_then_a_summary_line(
    capsys: pytest.CaptureFixture[str], fake_provider: Any
) -> None:
    # The heuristic's reasons are fixed text; the learned default's depend on its weights.
    assert main(["ask", "What is 2+3?", *FAKE_TIERS, "--classifier", "heuristic"]) == 0

    out, _ = capsys.readouterr()
    answer, summary = out.splitlines()
    assert answer == fake_provider.text("good")
    assert summary.startswith("[asymroute] ")
    fields = summary.removeprefix("[asymroute] ").split(" | ")
    assert fields[:8] == [
        "tier=local",
        "model=fake:good",
        "routed=local",
        "score=0.142",
        "threshold=0.50",
        "classifier=heuristic",
        "reasons=no complexity signal",
        "escalated=no",
    ]
    assert fields[8].startswith("latency=") and fields[8].endswith("s")
    assert fields[9] == "cost=$0.000000"


def test_ask_summary_reports_an_escalation(
    capsys: pytest.CaptureFixture[str], fake_provider: Any
) -> None:
    argv = [
        "ask",
        "What is 2+3?",
        "--local-model",
        "fake:empty",
        "--frontier-model",
        "fake:frontier",
    ]
    assert main(argv) == 0

    out, _ = capsys.readouterr()
    answer, summary = out.splitlines()
    assert answer == fake_provider.text("frontier")
    assert "tier=frontier | model=fake:frontier | routed=local" in summary
    assert "escalated=yes | escalation_reason=structural: empty answer" in summary


def test_ask_json_prints_the_whole_result(
    capsys: pytest.CaptureFixture[str], fake_provider: Any
) -> None:
    assert main(["ask", "What is 2+3?", "--json", "--threshold", "0", *FAKE_TIERS]) == 0

    result = json.loads(capsys.readouterr().out)
    assert {"decision", "usage", "total_cost_usd", "answer", "latency_s"} <= set(result)
    assert result["answer"] == fake_provider.text("frontier")
    assert result["decision"]["tier"] == "frontier"
    assert result["decision"]["threshold"] == 0.0
    assert [u["model"] for u in result["usage"]] == ["fake:frontier"]
    assert result["total_cost_usd"] == 0.0
    assert result["messages"][-1]["role"] == "ai"


def test_no_validate_flag_turns_validation_off(
    capsys: pytest.CaptureFixture[str], fake_provider: Any
) -> None:
    argv = ["ask", "What is 2+3?", "--json", "--no-validate", "--local-model", "fake:empty"]
    assert main([*argv, "--frontier-model", "fake:frontier"]) == 0

    result = json.loads(capsys.readouterr().out)
    assert result["verdict"]["skipped"] is True
    assert result["answer"] == ""


def test_strict_without_frontier_exits_2(
    capsys: pytest.CaptureFixture[str], fake_provider: Any
) -> None:
    argv = ["ask", "What is 2+3?", "--strict", "--threshold", "0", "--local-model", "fake:good"]
    assert main(argv) == EXIT_USAGE

    _, err = capsys.readouterr()
    assert_one_line_error(err, "needs the frontier tier (openai:gpt-4o-mini)")


def test_no_answer_from_any_tier_exits_1(
    capsys: pytest.CaptureFixture[str], fake_provider: Any
) -> None:
    assert main(["ask", "What is 2+3?", "--local-model", "fake:down"]) == EXIT_FAILED == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert_one_line_error(err, "the local tier (fake:down) failed (ConnectionError")


def test_bad_price_json_in_the_environment_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASYMROUTE_PRICES", "{gpt-4o: 2.5}")

    assert main(["ask", "What is 2+3?"]) == EXIT_USAGE

    _, err = capsys.readouterr()
    assert_one_line_error(err, "ASYMROUTE_PRICES")


def test_validators_and_privacy_options_reach_the_context() -> None:
    from asymroute.cli import build_parser
    from asymroute.cli.ask import context_from_args

    args = build_parser().parse_args(
        ["ask", "hi", "--validators", "structural, format", "--privacy", "off"]
    )
    context = context_from_args(args)

    assert context.validators == ("structural", "format")
    assert context.privacy == "off"
    defaults = context_from_args(build_parser().parse_args(["ask", "hi"]))
    assert defaults.validators == ("structural",) and defaults.privacy == "route-local"


def test_unknown_validator_exits_2_listing_the_valid_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["ask", "hi", "--validators", "structural,bogus"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bogus" in err and "structural" in err
