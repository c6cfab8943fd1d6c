"""The OpenAI-compatible gateway: `/v1/chat/completions`, `/v1/responses` and `/v1/models` over
the router graph (`wires` says how each API is read and answered).

`asymroute.gateway.app.create_app` builds the Starlette app; `langgraph.json` mounts it in the
LangGraph server and `asymroute serve` runs it with uvicorn. Its settings are
`asymroute.gateway.settings.GatewaySettings`: the router's `Settings` plus the
ASYMROUTE_GATEWAY_* ones.

Layer: the roof, with the CLI; it may import everything below, including `asymroute.graphs`.
"""
