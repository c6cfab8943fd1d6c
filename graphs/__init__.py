"""The graphs (`asymroute.graphs`): wiring only, built by factories, never at import.

Layer: the graphs import `asymroute.nodes` and the node runtime below them (edge functions,
`planning`, `context`, `state`); only the roof (`asymroute.cli`, `asymroute.gateway`) imports
them. The import contracts in pyproject.toml check it.
"""
