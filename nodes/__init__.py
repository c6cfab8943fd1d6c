"""Graph nodes (`asymroute.nodes`): one per file, thin, calling into `asymroute`.

Layer: nodes import the node runtime (`node_steps`, `model_calls`, `fallback`, `over_budget`,
`planning`) and the floor; never `asymroute.graphs`, the CLI or the gateway.
"""
