"""Guessed replies for speculative decoding: the local model checks a guess in one forward pass.

`decode_list` feeds the guess with the prompt and keeps every token of it that the model would have chosen
anyway, so a good guess saves forward passes and a bad one costs a few fed tokens; the reply is the model's
either way. The guess reads the instruction: each clause ("mine 2 iron", "then put red on blue") becomes the
vocabulary item sharing most of its words in the same order (longest common subsequence, numbers as digits).
Where no clause names an item, the last assistant turn's reply is the guess (the most similar worked example,
or the reply being repaired), as prompt lookup decoding does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
            "nine": "9"}
_IGNORED = frozenset({"the", "a", "an", "me", "my", "please", "some", "i", "you", "your", "it", "up"})
_CLAUSES = re.compile(r",|;|\.|\bthen\b|\bafter that\b|\bafterwards\b|\band next\b|\band\b")
_INSTRUCTION = re.compile(r"^Instruction: (.*)$", re.MULTILINE)  # planners/prompts.py user_turn


def words(text: str) -> list[str]:
    """Lower-case words with numbers as digits, cut to 5 letters after a plural 's' ("hinged" and "hinge",
    "woods" and "wood" alike), and articles and fillers left out."""
    out = []
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        word = _NUMBERS.get(word, word)
        if word in _IGNORED:
            continue
        out.append((word[:-1] if len(word) > 3 and word.endswith("s") else word)[:5])
    return out


def common_subsequence(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    previous = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for j, y in enumerate(b):
            row.append(previous[j] + 1 if x == y else max(previous[j + 1], row[j]))
        previous = row
    return previous[-1]


def guess_items(instruction: str, choices: Sequence[str]) -> list[str]:
    """Per clause of the instruction, the unused choice with most words in common in order (fewest extra
    words on a tie); a clause sharing no word with any choice adds nothing."""
    items: list[str] = []
    choice_words = {choice: words(choice) for choice in choices}
    for clause in _CLAUSES.split(instruction.lower()):
        clause_words = words(clause)
        best, best_score = None, 0.5
        for choice, item_words in choice_words.items():
            if choice in items:
                continue
            shared = common_subsequence(clause_words, item_words)
            score = shared - 0.1 * (len(item_words) - shared)
            if score > best_score:
                best, best_score = choice, score
        if best is not None:
            items.append(best)
    return items


def last_reply(messages: list[dict[str, Any]]) -> list[str]:
    """The items of the last assistant turn's JSON list (or of the first list in its JSON object), or []."""
    for message in reversed(messages):
        if message["role"] == "assistant":
            try:
                value = json.loads(text_of(message["content"]))
            except ValueError:
                return []
            if isinstance(value, dict):
                value = next((v for v in value.values() if isinstance(v, list)), [])
            return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
    return []


def draft_items(messages: list[dict[str, Any]], choices: Sequence[str], how: str = "guess") -> list[str]:
    """The guessed reply: `how="guess"` from the plan turn's instruction (else as "example"), "example" the
    last assistant turn's reply."""
    if how == "guess":
        for message in reversed(messages):
            found = _INSTRUCTION.search(text_of(message["content"])) if message["role"] == "user" else None
            if found:
                items = guess_items(found.group(1), choices)
                if items:
                    return items
                break
    return last_reply(messages)


def text_of(content: Any) -> str:
    """The text of a chat message's content: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text")
