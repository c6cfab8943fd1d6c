"""Prompt features for the learned router: dense structural/lexical signals, optional hashed words.

`FeatureSpec` fixes everything that must match between training and inference (hash size, which
n-gram families, which dense features) and is stored in the model file. `extract(prompt, spec,
idf)` returns sparse `(indices, values)` plus, for explanations, the name of each active feature.

Dense features (`DENSE`) are chosen to carry over between tasks and model pairs rather than to
memorise one data set: lengths (whole prompt, question stem, answer options), number counts and
magnitudes, units and multi-step cues, negation/exception cues, vocabulary rarity (IDF against
the training prompts, see `Vocabulary`), and small hand-written domain lexicons (math, law,
medicine, science, code, logic) counted as a few dense columns instead of one weight per word.

Hashing uses zlib.crc32, which is stable across processes (Python's `hash()` is salted).
Hashed n-grams are binary and scaled by 1/sqrt(count) so long prompts do not dominate; the dense
features sit after the hash space at fixed indices.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[^\sa-z\d]")
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MATH_OPERATOR = re.compile(r"[+\-*/^=<>%×÷√∑∫≤≥≠]|\\[a-z]+")
CODE_MARK = re.compile(r"```|\bdef |\bclass |\breturn\b|[{};]\s*$|#include|\bfunction\b", re.M)
CHOICE = re.compile(r"^\s*\(?[A-Ea-e][.)]\s+\S", re.M)
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
FRACTION_OR_DECIMAL = re.compile(r"\d[.,/]\d")
PERCENT_OR_CURRENCY = re.compile(r"[%$€£]|percent")
DIGIT = re.compile(r"\d")
LETTER = re.compile(r"[^\W\d_]")
UPPER = re.compile(r"[A-Z]")
EMPHASISED_NEGATION = re.compile(r"\b(?:NOT|EXCEPT|LEAST|FALSE|INCORRECT|NEVER)\b")
CODE_REQUEST = re.compile(
    r"\b(?:write|implement|build|create|fix|debug|refactor)\b[^.?!\n]{0,60}?\b(?:function|program|"
    r"script|class|code|query|api|app|parser|tests?|module|endpoint)s?\b",
    re.IGNORECASE,
)
MAX_TOKENS = 3000
"""Tokens hashed per prompt (head of the prompt); dense counts still see all of it."""


def _lexicon(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Hand-written, generic cue lists (not derived from the evaluation data).
LEXICONS: dict[str, frozenset[str]] = {
    "multistep_terms": _lexicon(
        "then each every total remaining remainder rest left per twice half thrice times after "
        "before altogether together respectively combined average difference increase decrease "
        "earns spends sells buys profit"
    ),
    "unit_terms": _lexicon(
        "dollars dollar cents hours hour minutes minute seconds days day weeks week months month "
        "years miles mile km kilometers meters metres feet foot inches pounds kg kilograms grams "
        "liters litres gallons ounces mph percent degrees"
    ),
    "negation_terms": _lexicon(
        "not except least false incorrect never none neither nor cannot unlikely exception"
    ),
    "math_terms": _lexicon(
        "equation solve integer integers prime divisible probability ratio fraction sum product "
        "polynomial derivative integral matrix vector logarithm exponent root factor remainder "
        "digit digits graph slope function theorem proof prove lemma modulo group ring field "
        "eigenvalue variance expected calculate compute value"
    ),
    "law_terms": _lexicon(
        "law legal court statute plaintiff defendant contract liability constitutional "
        "amendment jurisdiction tort negligence evidence testimony criminal felony appeal judge "
        "jury lawful unlawful rights convicted prosecution hearsay"
    ),
    "medicine_terms": _lexicon(
        "patient patients diagnosis disease symptom symptoms treatment clinical drug dose "
        "syndrome infection artery nerve tissue blood gene protein muscle bone organ chronic "
        "acute therapy cells enzyme hormone"
    ),
    "science_terms": _lexicon(
        "energy force mass velocity acceleration momentum charge electric magnetic wave "
        "frequency quantum particle electron photon temperature pressure reaction molecule atom "
        "acid compound gravity circuit voltage entropy"
    ),
    "code_terms": _lexicon(
        "code function program python java javascript algorithm compile compiler variable loop "
        "array string bug api sql runtime recursion pointer class method regex script database "
        "complexity"
    ),
    "logic_terms": _lexicon(
        "argument premise premises conclusion fallacy valid invalid logic logically implies "
        "syllogism philosophy moral ethics utilitarian deontological proposition"
    ),
    "demand_terms": _lexicon(
        "prove derive implement design refactor debug optimize optimise analyze analyse "
        "architect justify formalize formalise critique evaluate compare"
    ),
    "smalltalk_terms": _lexicon(
        "hi hello hey thanks thank bye goodbye morning evening cheers lol ok okay cool nice"
    ),
}

LEGACY_STRUCTURAL = (
    "log_chars",
    "log_words",
    "log_numbers",
    "log_distinct_numbers",
    "log_math_operators",
    "digit_share",
    "log_max_number_digits",
    "decimals_or_fractions",
    "percent_or_currency",
    "code",
    "log_questions",
    "log_sentences",
    "choices",
    "mean_word_length",
    "log_newlines",
    "uppercase_share",
)
"""The first model file format's features (files trained with them still load)."""

DENSE = (
    *LEGACY_STRUCTURAL,
    "log_stem_chars",
    "log_option_chars",
    "log_max_number",
    "emphasised_negation",
    "code_request",
    "idf_mean",
    "idf_max",
    "rare_word_share",
    *LEXICONS,
)
STRUCTURAL = DENSE
"""Every dense feature a model file may name."""
LEXICONS_OF_WORD: dict[str, tuple[int, ...]] = {
    word: tuple(i for i, lexicon in enumerate(LEXICONS.values()) if word in lexicon)
    for word in set().union(*LEXICONS.values())
}


@dataclass(frozen=True)
class FeatureSpec:
    hash_bits: int = 18
    word_unigrams: bool = True
    word_bigrams: bool = True
    char_ngrams: tuple[int, ...] = ()
    """Character n-gram sizes hashed inside each word (slow: keep small or empty)."""
    structural: tuple[str, ...] = field(default=DENSE)

    @property
    def hashes_words(self) -> bool:
        return self.word_unigrams or self.word_bigrams or bool(self.char_ngrams)

    @property
    def hash_size(self) -> int:
        return 1 << self.hash_bits

    @property
    def size(self) -> int:
        return self.hash_size + len(self.structural)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["char_ngrams"] = list(self.char_ngrams)
        data["structural"] = list(self.structural)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        structural = tuple(str(name) for name in data["structural"])
        unknown = set(structural) - set(DENSE)
        if unknown:
            raise ValueError(f"unknown structural features {sorted(unknown)}")
        return cls(
            hash_bits=int(data["hash_bits"]),
            word_unigrams=bool(data["word_unigrams"]),
            word_bigrams=bool(data["word_bigrams"]),
            char_ngrams=tuple(int(n) for n in data.get("char_ngrams", ())),
            structural=structural,
        )


@dataclass(frozen=True)
class Vocabulary:
    """Inverse document frequency of words in a reference corpus (the training prompts).

    Words seen in fewer than `min_df` prompts are left out and count as rare (`unknown_idf`),
    so the table stays small and a word seen once cannot carry a weight of its own.
    """

    idf: Mapping[str, float]
    unknown_idf: float

    @classmethod
    def build(cls, prompts: Iterable[str], min_df: int = 3, max_words: int = 12_000) -> Vocabulary:
        counts: Counter[str] = Counter()
        n = 0
        for prompt in prompts:
            counts.update(set(WORD.findall(prompt.lower())))
            n += 1
        kept = [(w, c) for w, c in counts.most_common(max_words) if c >= min_df]
        idf = {w: round(math.log((n + 1) / (c + 1)), 2) for w, c in sorted(kept)}
        return cls(idf, round(math.log((n + 1) / min_df), 2))

    def as_json(self) -> dict[str, object]:
        return {"unknown_idf": self.unknown_idf, "idf": dict(self.idf)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vocabulary:
        return cls({str(k): float(v) for k, v in data["idf"].items()}, float(data["unknown_idf"]))


def _bucket(text: str, mask: int) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) & mask


def _normalize_token(token: str) -> str:
    """Numbers keep only their shape (digit count), so `17` and `42` share features."""
    if token[0].isdigit():
        return f"<num{min(len(token), 6)}>"
    return token


def _number_value(text: str) -> float:
    try:
        return abs(float(text.replace(",", "")))
    except ValueError:
        return 0.0


def _rarity(words: list[str], vocabulary: Vocabulary | None) -> tuple[float, float, float]:
    if vocabulary is None or not words:
        return 0.0, 0.0, 0.0
    idf, unknown = vocabulary.idf, vocabulary.unknown_idf
    values = [idf.get(w, unknown) for w in set(words)]
    rare = sum(1 for w in words if w not in idf)
    return sum(values) / len(values), max(values), rare / len(words)


def structural_values(prompt: str, vocabulary: Vocabulary | None = None) -> dict[str, float]:
    chars = len(prompt)
    lowered = prompt.lower()
    words = prompt.split()
    numbers = NUMBER.findall(prompt)
    digits = len(DIGIT.findall(prompt))
    letters = len(LETTER.findall(prompt))
    upper = len(UPPER.findall(prompt))
    choices = CHOICE.findall(prompt)
    first_choice = CHOICE.search(prompt) if len(choices) >= 2 else None
    stem_chars = first_choice.start() if first_choice else chars
    option_chars = (chars - stem_chars) / len(choices) if first_choice else 0.0
    lexical = WORD.findall(lowered)
    idf_mean, idf_max, rare_share = _rarity(lexical, vocabulary)
    values = {
        "log_chars": math.log1p(chars),
        "log_words": math.log1p(len(words)),
        "log_numbers": math.log1p(len(numbers)),
        "log_distinct_numbers": math.log1p(len(set(numbers))),
        "log_math_operators": math.log1p(len(MATH_OPERATOR.findall(prompt))),
        "digit_share": digits / chars if chars else 0.0,
        "log_max_number_digits": math.log1p(max((len(n) for n in numbers), default=0)),
        "decimals_or_fractions": float(bool(FRACTION_OR_DECIMAL.search(prompt))),
        "percent_or_currency": float(bool(PERCENT_OR_CURRENCY.search(lowered))),
        "code": float(bool(CODE_MARK.search(prompt))),
        "log_questions": math.log1p(prompt.count("?")),
        "log_sentences": math.log1p(len(SENTENCE_END.findall(prompt))),
        "choices": float(len(choices) >= 2),
        "mean_word_length": (sum(len(w) for w in words) / len(words) / 5.0) if words else 0.0,
        "log_newlines": math.log1p(prompt.count("\n")),
        "uppercase_share": upper / letters if letters else 0.0,
        "log_stem_chars": math.log1p(stem_chars),
        "log_option_chars": math.log1p(option_chars),
        "log_max_number": math.log1p(max((_number_value(n) for n in numbers), default=0.0)),
        "emphasised_negation": float(bool(EMPHASISED_NEGATION.search(prompt))),
        "code_request": float(bool(CODE_REQUEST.search(prompt))),
        "idf_mean": idf_mean,
        "idf_max": idf_max,
        "rare_word_share": rare_share,
    }
    counts = [0] * len(LEXICONS)
    for word in lexical:
        for index in LEXICONS_OF_WORD.get(word, ()):
            counts[index] += 1
    for name, count in zip(LEXICONS, counts, strict=True):
        values[name] = math.log1p(count)
    return values


def extract(
    prompt: str,
    spec: FeatureSpec,
    vocabulary: Vocabulary | None = None,
    *,
    with_names: bool = False,
) -> tuple[list[int], list[float], list[str]]:
    """Active feature indices, their values, and (when asked) a readable name for each."""
    grams: dict[int, str] = {}
    if spec.hashes_words:
        mask = spec.hash_size - 1
        tokens = [_normalize_token(t) for t in TOKEN.findall(prompt.lower())[:MAX_TOKENS]]
        if spec.word_unigrams:
            for token in tokens:
                grams.setdefault(_bucket("w:" + token, mask), token)
        if spec.word_bigrams:
            for first, second in itertools.pairwise(tokens):
                gram = first + " " + second
                grams.setdefault(_bucket("b:" + gram, mask), gram)
        for n in spec.char_ngrams:
            for token in set(tokens):
                padded = f"<{token}>"
                for i in range(len(padded) - n + 1):
                    piece = padded[i : i + n]
                    grams.setdefault(_bucket(f"c{n}:" + piece, mask), piece)
    indices = list(grams)
    scale = 1.0 / math.sqrt(len(indices)) if indices else 0.0
    values = [scale] * len(indices)
    names = [f"'{grams[i]}'" for i in indices] if with_names else []
    structural = structural_values(prompt, vocabulary)
    for offset, name in enumerate(spec.structural):
        # Always present, even at zero: the model standardises these columns.
        value = structural[name]
        indices.append(spec.hash_size + offset)
        values.append(value)
        if with_names:
            names.append(f"{name}={value:.2f}")
    return indices, values, names
