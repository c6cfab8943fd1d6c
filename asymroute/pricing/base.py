"""The price-table extension point: USD per million tokens, per model."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class ModelPrice(BaseModel):
    """USD per million input and output tokens."""

    model_config = ConfigDict(frozen=True)

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_per_million + output_tokens * self.output_per_million
        ) / 1_000_000

    @property
    def free(self) -> bool:
        return self.input_per_million == 0 and self.output_per_million == 0


class PriceTable(Protocol):
    """Looks up the price of a model given as provider and model name."""

    name: str

    def price_for(self, provider: str, model: str) -> ModelPrice | None:
        """The model's price, or None when the table does not know it."""
        ...
