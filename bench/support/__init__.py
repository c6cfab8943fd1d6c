"""Servers and harness shared by the benchmarks and the tests: a subprocess on a free loopback
port (processes), an instant upstream (upstream_stub), a misbehaving upstream (faulty_upstream),
a throwaway PostgreSQL (postgres) and the shared benchmark prompts (benchmark_prompts).

They live here, not in tests/support/, so bench scripts never import the test tree; tests may
import them (tests sit above everything). This package imports nothing from tests/.
"""
