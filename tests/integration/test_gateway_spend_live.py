"""Per-key spend shared for real: processes on one SQLite file, instances on one Postgres.

An instant OpenAI-compatible stub (bench/support/upstream_stub.py) stands in for both tiers,
so these tests measure the budget, not inference. The Postgres tests start their own server
(Debian package binaries) on a free loopback port and always stop it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from asymroute.errors import ConfigurationError
from asymroute.gateway.settings import GatewaySettings
from asymroute.gateway.spend import PostgresSpendStore, SqliteSpendStore, open_spend_store
from bench.support.postgres import running_postgres
from bench.support.processes import free_port, running_server
from tests.integration.conftest import PROJECT_ROOT
from tests.support.gateway import stub_gateway_env

KEY = "sk-spend-tests"
SIMPLE = "What is 2+3?"
COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
FRONTIER = "openai:stub-frontier"
COMPLEX_WORST_CASE = (len(COMPLEX) + 4) * 5e-6 + 512 * 15e-6

# Each process opens the store, waits for the start file so all of them write at once, then
# adds 1.0 per step (exact in binary floating point, so the total is exact too).
ADDER = """
import sys, time
from pathlib import Path
from asymroute.gateway.spend import SqliteSpendStore
store = SqliteSpendStore(Path(sys.argv[1]))
start = Path(sys.argv[2])
while not start.exists():
    time.sleep(0.005)
for _ in range(int(sys.argv[3])):
    store.add("team", 1.0)
"""


def test_processes_adding_to_one_sqlite_file_lose_no_increment(tmp_path: Path) -> None:
    path, start, processes, steps = tmp_path / "spend.sqlite", tmp_path / "go", 4, 150
    adders = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(path), str(start), str(steps)],
            cwd=PROJECT_ROOT,
            stderr=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    start.touch()
    for adder in adders:
        _, err = adder.communicate(timeout=120)
        assert adder.returncode == 0, err.decode()
    assert SqliteSpendStore(path).spent("team") == processes * steps


# Each process reserves 40 times at once with the others; the store must admit 10 in all.
RESERVER = """
import sys, time
from pathlib import Path
from asymroute.gateway.spend import SqliteSpendStore
from asymroute.gateway.spend.reservations import Reservation
store = SqliteSpendStore(Path(sys.argv[1]))
start = Path(sys.argv[2])
while not start.exists():
    time.sleep(0.005)
print(sum(store.reserve(Reservation("k", 0.1), 1.0).admitted for _ in range(40)))
"""


def test_processes_reserving_on_one_sqlite_file_never_overcommit(tmp_path: Path) -> None:
    path, start = tmp_path / "spend.sqlite", tmp_path / "go"
    SqliteSpendStore(path).close()  # the schema exists before they race
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVER, str(path), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    start.touch()
    counts = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        counts.append(int(out))
    assert sum(counts) == 10


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with running_postgres() as url:
        yield url


def test_postgres_stores_share_spend_and_lose_no_increment(postgres_url: str) -> None:
    settings = GatewaySettings(  # type: ignore[call-arg]
        _env_file=None,
        postgres_url=postgres_url,
        gateway_keys={"team": KEY},
        gateway_key_budgets_usd={"team": 1.0},
    )
    first = open_spend_store(settings)  # chosen because ASYMROUTE_POSTGRES_URL is set
    second = PostgresSpendStore(postgres_url)
    assert isinstance(first, PostgresSpendStore)
    try:
        first.add("team", 0.5)
        assert second.spent("team") == 0.5
        assert second.add("team", 0.25) == 0.75
        assert first.spent("team") == 0.75

        def add_many(store: PostgresSpendStore) -> None:
            for _ in range(50):
                store.add("busy", 1.0)

        threads = [threading.Thread(target=add_many, args=(s,)) for s in [first, second] * 3]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert first.spent("busy") == second.spent("busy") == 300.0
    finally:
        first.close()
        second.close()


def test_postgres_reservations_from_two_stores_never_overcommit(postgres_url: str) -> None:
    from asymroute.gateway.spend.reservations import Reservation

    first, second = PostgresSpendStore(postgres_url), PostgresSpendStore(postgres_url)
    admitted: list[Reservation] = []
    try:

        def reserve_many(store: PostgresSpendStore) -> None:
            for _ in range(20):
                reservation = Reservation("capped", 0.1)
                if store.reserve(reservation, 1.0).admitted:
                    admitted.append(reservation)

        threads = [threading.Thread(target=reserve_many, args=(s,)) for s in [first, second] * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(admitted) == 10
        for reservation in admitted:
            second.settle(reservation, 0.05)
        assert first.spent("capped") == pytest.approx(0.5)
        assert first.recover() == []  # every holder is alive (this process)... or settled
    finally:
        first.close()
        second.close()


def test_unreachable_postgres_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/x?connect_timeout=2"
    with pytest.raises(ConfigurationError, match="ASYMROUTE_POSTGRES_URL") as caught:
        PostgresSpendStore(url)
    assert "s3cret" not in str(caught.value) and "app:***@" in str(caught.value)


def gateway_env(stub: str, spend_path: Path) -> dict[str, str]:
    # Room for one worst case of COMPLEX (a token a byte in, 512 out): once one frontier
    # answer is spent, the next worst case no longer fits.
    return stub_gateway_env(
        stub, KEY, COMPLEX_WORST_CASE, ASYMROUTE_GATEWAY_SPEND_PATH=str(spend_path)
    )


def serve(stub: str, spend_path: Path, *flags: str) -> tuple[list[str], str, dict]:
    port = free_port()
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port), *flags]
    return command, f"http://127.0.0.1:{port}", gateway_env(stub, spend_path)


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=60)


def ask(url: str, prompt: str) -> str | None:
    return (
        client(url)
        .chat.completions.create(model="asymroute", messages=[{"role": "user", "content": prompt}])
        .model
    )


def test_a_budget_spent_through_one_gateway_is_refused_by_another(
    stub_url: str, tmp_path: Path
) -> None:
    spend_path = tmp_path / "spend.sqlite"
    one, one_url, env = serve(stub_url, spend_path, "--workers", "2")
    two, two_url, _ = serve(stub_url, spend_path)
    with (
        running_server(one, f"{one_url}/v1/models", tmp_path / "one.log", env=env, cwd=tmp_path),
        running_server(two, f"{two_url}/v1/models", tmp_path / "two.log", env=env, cwd=tmp_path),
    ):
        assert ask(two_url, SIMPLE) == "openai:stub-local"  # $0: the budget holds
        # A streamed frontier answer (the stub reports usage) spends the budget through one.
        stream = client(one_url).chat.completions.create(
            model="asymroute",
            messages=[{"role": "user", "content": COMPLEX}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
        cost = final.model_extra["asymroute"]["cost_usd"]
        assert cost > 0
        # The other process refuses the key, and so does the first, whichever worker answers.
        for url in [two_url] + [one_url] * 4:
            with pytest.raises(openai.RateLimitError) as caught:
                ask(url, COMPLEX)  # its worst case no longer fits
            assert caught.value.body["code"] == "budget_exceeded"
    assert SqliteSpendStore(spend_path).spent("team") == pytest.approx(cost)
