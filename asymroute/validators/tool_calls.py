"""tool_calls: a local answer's tool calls must be calls the run allows, with valid arguments.

On by default when a run offers tools (`planning.validator_names`). An answer fails, and
escalates like any failed validation, when a call names no offered tool, its arguments are not
valid JSON (LangChain keeps such calls apart as `invalid_tool_calls`) or do not match the tool's
JSON Schema, or it ignores `tool_choice` (no call when one is required, not the named tool, a
call under `none`). Arguments are checked with `jsonschema`, which resolves the
`$ref`/`$defs` that pydantic-generated schemas use (the in-house subset in `json_schema` ignores
them). A text answer where a call was optional passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import validators as jsonschema_validators

from asymroute.tool_calls import forced_tool
from asymroute.validators.base import CandidateAnswer, Judgement, ValidationPolicy

MAX_ERRORS_SHOWN = 3


class ToolCallValidator:
    name = "tool_calls"
    kind = "check"

    def __init__(self, policy: ValidationPolicy) -> None:
        self.tools = {str(tool["function"]["name"]): tool for tool in policy.tools}
        self.tool_choice = policy.tool_choice
        self._checkers: dict[str, Any] = {}

    def check(self, answer: CandidateAnswer) -> Judgement:
        if not self.tools:
            return Judgement(True, ("no tools offered",), 1.0)
        errors = [*self._choice_errors(answer), *self._call_errors(answer)]
        if errors:
            shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
            more = len(errors) - MAX_ERRORS_SHOWN
            return Judgement(False, (shown + (f" (and {more} more)" if more > 0 else ""),), 0.0)
        if answer.tool_calls:
            called = ", ".join(str(call["name"]) for call in answer.tool_calls)
            return Judgement(True, (f"tool call(s) valid: {called}",), 1.0)
        return Judgement(True, ("no tool call (none required)",), 1.0)

    def _choice_errors(self, answer: CandidateAnswer) -> list[str]:
        calls = [*answer.tool_calls, *answer.invalid_tool_calls]
        named = forced_tool(self.tool_choice)
        if self.tool_choice == "none" and calls:
            return ["called a tool although tool_choice is none"]
        if self.tool_choice == "required" and not calls:
            return ["no tool call although tool_choice is required"]
        if named is not None and not any(call.get("name") == named for call in calls):
            return [f"did not call {named!r}, which tool_choice requires"]
        return []

    def _call_errors(self, answer: CandidateAnswer) -> list[str]:
        errors = [
            f"arguments of {call.get('name')!r} are not valid JSON"
            for call in answer.invalid_tool_calls
        ]
        for call in answer.tool_calls:
            name = str(call["name"])
            if name not in self.tools:
                errors.append(f"called {name!r}, which is not among the tools offered")
                continue
            errors.extend(
                f"arguments of {name!r} do not match its schema: {message}"
                for message in self._argument_errors(name, call.get("args"))
            )
        return errors

    def _argument_errors(self, name: str, args: Any) -> list[str]:
        checker = self._checkers.get(name)
        if checker is None:
            schema: Mapping[str, Any] = self.tools[name]["function"]["parameters"]
            checker = jsonschema_validators.validator_for(schema)(schema)
            self._checkers[name] = checker
        return [
            f"{'/'.join(map(str, error.absolute_path)) or 'arguments'}: {error.message}"
            for error in sorted(checker.iter_errors(args), key=lambda e: str(list(e.absolute_path)))
        ]
