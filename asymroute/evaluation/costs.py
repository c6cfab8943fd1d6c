"""Per-row costs for offline evaluation: recorded when the data has them, estimated otherwise.

RouterBench files carry `<model>|total_cost` (USD); those are used as they are. Otherwise the
cost is estimated from text length and a price table: tokens ≈ characters / 4 for the prompt
(input) and, when the file has the model's responses, for the response (output); without
responses only the prompt is priced. Model names are looked up after their last `/`, lowercased
(`mistralai/Mixtral-8x7B-Instruct-v0.1` → `mixtral-8x7b-instruct-v0.1`, which the default
table prices as `mixtral-8x7b-instruct`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asymroute.budget import estimated_tokens
from asymroute.evaluation.datasets import LabeledData
from asymroute.pricing import ModelPrice, PriceTable, get_price_table

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RowCosts:
    weak: FloatArray
    strong: FloatArray
    source: str
    """'recorded' (from the data) or a sentence saying how they were estimated."""


def price_key(model: str) -> str:
    return model.rsplit("/", 1)[-1].lower()


def row_costs(data: LabeledData, table: PriceTable | None = None) -> RowCosts | None:
    """Recorded costs, else an estimate; None when a model has no price in the table."""
    if data.weak_cost is not None and data.strong_cost is not None:
        return RowCosts(data.weak_cost, data.strong_cost, "recorded")
    table = table or get_price_table("default")
    prices = {
        role: table.price_for("api", price_key(name))
        for role, name in (("weak", data.weak), ("strong", data.strong))
    }
    weak_price, strong_price = prices["weak"], prices["strong"]
    if weak_price is None or strong_price is None:
        return None
    prompt_tokens = [estimated_tokens(p) for p in data.prompts]

    def estimate(price: ModelPrice, responses: list[str] | None) -> FloatArray:
        outputs = [estimated_tokens(r) for r in responses] if responses else [0] * len(data)
        costs = [price.cost(i, o) for i, o in zip(prompt_tokens, outputs, strict=True)]
        return np.array(costs, dtype=np.float64)

    with_responses = data.weak_responses is not None and data.strong_responses is not None
    how = "prompt + response" if with_responses else "prompt only"
    return RowCosts(
        estimate(weak_price, data.weak_responses if with_responses else None),
        estimate(strong_price, data.strong_responses if with_responses else None),
        f"estimated: {how} tokens (chars/4) x list prices of "
        f"{price_key(data.weak)} and {price_key(data.strong)}",
    )
