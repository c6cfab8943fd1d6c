"""A tool-calling agent whose every step is routed: the router graph is the agent's model node.

    python examples/tool_agent.py "What is the weather in Paris, in Fahrenheit?"

The loop is LangGraph's usual one (model -> tools -> model ... until the model answers in
text), with the compiled router in the model's place. The tools go in the run's context
(`RouterContext(tools=[...])`: LangChain tools, pydantic models or OpenAI function tools); each
step is classified, answered by the local or the frontier tier with the tools bound, and a
local tool call that names no tool, or breaks the tool's schema, escalates. It runs on the
embedded SmolLM2 with no setup; with OPENAI_API_KEY (or OPENAI_BASE_URL) set, hard steps go to
the frontier.
"""

from __future__ import annotations

import sys
from typing import Any

from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router


@tool
def get_weather(city: str) -> str:
    """The current weather of a city, in Celsius."""
    return f"18C and sunny in {city}"


@tool
def to_fahrenheit(celsius: float) -> str:
    """Convert a temperature from Celsius to Fahrenheit."""
    return f"{celsius * 9 / 5 + 32:.1f}F"


TOOLS = [get_weather, to_fahrenheit]


class AgentState(MessagesState, total=False):
    answered_by: str | None
    """The tier that answered the latest step (the router writes it)."""
    escalated: bool


def build_agent(router: Any = None) -> Any:
    builder = StateGraph(AgentState, context_schema=RouterContext)
    builder.add_node("model", router if router is not None else build_router())
    builder.add_node("tools", ToolNode(TOOLS))
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    builder.add_edge("tools", "model")
    return builder.compile()


def run(agent: Any, question: str, context: RouterContext | None = None) -> list[str]:
    """Each step as a line: the tier that answered, then its tool calls or its answer."""
    lines = []
    context = context or RouterContext(tools=TOOLS)
    for update in agent.stream({"messages": [("user", question)]}, context=context):
        step = update.get("model")
        if not step:
            continue
        answer = step["messages"][-1]
        calls = ", ".join(f"{c['name']}({c['args']})" for c in answer.tool_calls)
        escalated = " (escalated)" if step.get("escalated") else ""
        lines.append(f"[{step['answered_by']}{escalated}] {calls or answer.content}")
    return lines


if __name__ == "__main__":
    question = sys.argv[1] if len(sys.argv) > 1 else "What is the weather in Paris?"
    for line in run(build_agent(), question):
        print(line)
