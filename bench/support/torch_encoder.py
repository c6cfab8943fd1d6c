"""A sentence-transformers encoder read on torch the way the shipped `minilm` embedder reads a
prompt: the last word pieces that fit the window, mean-pooled over the mask, unit length.

For the probes that run upstream weights in a separate torch venv (`finetune_probe.py`,
`encoder_probe.py`); the project itself does not depend on torch, so nothing here is imported
by `asymroute`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer


class TailReader:
    """Word-piece ids of a text's tail between the model's own first and last special tokens."""

    def __init__(self, tokenizer: Tokenizer, window: int, head: int = 0) -> None:
        tokenizer.no_truncation()
        tokenizer.no_padding()
        ids = tokenizer.encode("x").ids
        self.tokenizer, self.first, self.last = tokenizer, ids[0], ids[-1]  # [CLS]/<s>, [SEP]/</s>
        self.room, self.head = window - 2, head
        self.pad = tokenizer.token_to_id("<pad>") or 0  # MPNet's <pad>; BERT's [PAD] is 0

    def pieces(self, text: str) -> list[int]:
        body = self.tokenizer.encode(text, add_special_tokens=False).ids
        if self.head and len(body) > self.room:  # the first `head` pieces, then the tail
            body = body[: self.head] + body[len(body) - (self.room - self.head) :]
        return [self.first, *body[-self.room :], self.last]


def mean_pooled(encoder: Any, seqs: list[list[int]], pad: int = 0) -> torch.Tensor:
    """Unit vectors of `seqs` (one padded batch), mean-pooled over each sequence's own pieces."""
    import torch

    width = max(map(len, seqs))
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros(len(seqs), width, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    weight = mask.unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * weight).sum(1) / weight.sum(1), dim=-1)
