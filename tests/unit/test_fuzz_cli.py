"""Fuzzed command lines through `asymroute.cli.main`, in-process with scripted models.

Every run ends in exit 0 (answered), 1 (no answer) or 2 (bad usage, one `error:` line), never
in a traceback.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from asymroute.cli import main
from tests.support.fuzz_inputs import ANY_TEXT, TEXT
from tests.support.scripted_models import ScriptedProvider

MODELS = ["--local-model", "scripted:local", "--frontier-model", "scripted:frontier"]
OPTION_VALUES = {
    "--threshold": st.one_of(st.floats(allow_nan=True).map(str), ANY_TEXT),
    "--max-tokens": st.one_of(st.integers(-5, 10**6).map(str), ANY_TEXT),
    "--temperature": st.one_of(st.floats(allow_nan=True).map(str), ANY_TEXT),
    "--classifier": st.one_of(st.sampled_from(["heuristic", "keywords", "bayes"]), ANY_TEXT),
    "--local-model": st.one_of(st.sampled_from(["scripted:local", "nope", "x:"]), ANY_TEXT),
}
FLAGS = st.sampled_from(["--json", "--no-validate", "--strict", "--", "-h", "--bogus"])
OPTION = st.one_of(
    st.sampled_from(sorted(OPTION_VALUES)).flatmap(
        lambda name: OPTION_VALUES[name].map(lambda value: [name, value])
    ),
    FLAGS.map(lambda flag: [flag]),
)


@settings(
    max_examples=2000,
    derandomize=True,  # the same 2,000 cases on every CI run: no flaky landings
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(prompt=TEXT, options=st.lists(OPTION, max_size=4), command=st.sampled_from(["ask"]))
# Found by this test: a lone surrogate echoed in argparse's usage error crashed the output.
@example(prompt="hi", options=[["--bogus\ud800"]], command="ask")
def test_fuzzed_command_lines_exit_cleanly(
    scripted: ScriptedProvider,
    capsys: pytest.CaptureFixture[str],
    prompt: str,
    options: list[list[str]],
    command: str,
) -> None:
    argv = [command, prompt, *MODELS, *(part for option in options for part in option)]
    try:
        code: Any = main(argv)
    except SystemExit as exit_:  # argparse: usage errors and --help
        code = exit_.code
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code == 0:
        assert out.strip()
    else:
        assert "error:" in err  # argparse usage errors, or one `asymroute: error:` line
