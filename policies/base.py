"""The Policy interface: training loss, action chunks, receding-horizon control, self-contained checkpoints.

A checkpoint directory holds `policy.json` (policy name, config, features), `stats.json`
(normalisation computed from the dataset) and the weights, `model.pt` (torch pickle, what training writes) or
`model.safetensors` (`save(dir, weights="safetensors")`; the shipped defaults in embodied/checkpoints/):
`load_policy(dir)` is the one call that rebuilds it. Normalisation lives outside the network, applied in
`prepare`. policy.json records the sha256 of the weights file, stats.json and of its own `features` (the
world); `load_policy` checks them, the weights' shapes and finiteness, and says what is wrong in one
CheckpointError line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from embodied.datasets.stats import MinMax
from embodied.datasets.windows import WindowSpec
from embodied.registry import POLICIES, load_symbol
from embodied.types import OBS_RGB, CheckpointError, UnknownSubgoalError
from policies.encoders.goal import TextGoalEncoder
from policies.frame_cache import encoded_window


@dataclass
class Features:
    """Shapes and vocabularies a policy is built for; read from the dataset, never typed by hand."""

    obs_shapes: dict[str, tuple[int, ...]]
    action_dim: int  # number of discrete actions, or the dimension of a continuous action
    discrete: bool
    goal_texts: tuple[str, ...]
    env_name: str = ""
    env_kwargs: dict[str, Any] = field(default_factory=dict)  # the world's kwargs at collection (robomimic env_meta)

    def to_json(self) -> dict[str, Any]:
        return {"obs_shapes": {k: list(v) for k, v in self.obs_shapes.items()}, "action_dim": self.action_dim,
                "discrete": self.discrete, "goal_texts": list(self.goal_texts), "env_name": self.env_name,
                "env_kwargs": dict(self.env_kwargs)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Features:
        return cls({k: tuple(v) for k, v in data["obs_shapes"].items()}, int(data["action_dim"]),
                   bool(data["discrete"]), tuple(data["goal_texts"]), str(data.get("env_name", "")),
                   dict(data.get("env_kwargs") or {}))

    def make_env(self, **overrides: Any) -> Any:
        """The world this policy was trained in, rebuilt with the kwargs recorded at collection."""
        from embodied.registry import world

        return world(self.env_name).make_env(**{**self.env_kwargs, **overrides})


class ActingState:
    """One env's acting memory: its observation history, queued actions and sampling generator.

    `select_actions` takes one per env, so a batched forward gives every env the history and the random
    draws it would have had acting alone (`reset(seed)` seeds the generator per episode)."""

    def __init__(self, obs_horizon: int) -> None:
        self.history: deque[dict[str, np.ndarray]] = deque(maxlen=obs_horizon)
        self.encoded: deque[torch.Tensor | None] = deque(maxlen=obs_horizon)  # features per history frame
        self.queue: deque[Any] = deque()
        self.chunks: list[list[Any]] = []  # temporal ensembling: [chunk, index of this step's action in it]
        self.generator = torch.Generator().manual_seed(0)

    def reset(self, seed: int | None = None) -> None:
        self.history.clear()
        self.encoded.clear()
        self.queue.clear()
        self.chunks.clear()
        if seed is not None:
            self.generator.manual_seed(seed)


class Policy(nn.Module, ABC):
    """A goal-conditioned low-level policy.

    Subclasses implement `window_for` (what training windows they need), `forward` (loss on a batch)
    and `predict_chunk` (actions for an observation history); the base class keeps the observation
    history and the queue of actions executed from each predicted chunk.
    """

    name: ClassVar[str]
    config_class: ClassVar[type]

    def __init__(self, config: Any, features: Features, stats: dict[str, MinMax]) -> None:
        super().__init__()
        self.config, self.features, self.stats = config, features, stats
        self._state = self.new_state()

    # --- to implement -----------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def window_for(cls, config: Any) -> WindowSpec:
        """Which steps a training window holds (obs horizon, action chunk) for a config."""

    @property
    def window(self) -> WindowSpec:
        return self.window_for(self.config)

    @property
    def action_steps(self) -> int:
        """How many actions of each predicted chunk are executed before predicting again."""
        return 1

    @property
    def ensemble_weight(self) -> float:
        """k > 0: temporal ensembling (a chunk every step, actions averaged with weights exp(-k i)); 0: off."""
        return 0.0

    @abstractmethod
    def forward(self, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss on a prepared batch, and scalars to log."""

    @abstractmethod
    def predict_chunk(self, batch: dict[str, Any], generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """Actions (B, T_a) discrete or (B, T_a, A) continuous, un-normalised, from a prepared batch.

        Random draws come from `generators[b]` for row b when given (one per env), else all from `_generator`."""

    # --- shared -------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def prepare(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Numpy window batch -> normalised tensors on the policy's device (rgb to (B, T, 3, H, W) in [0, 1])."""
        device = self.device
        prepared: dict[str, Any] = {"obs": self.prepare_obs(batch["obs"]),
                                    "goal_ids": torch.as_tensor(batch["goal_ids"], device=device)}
        if "goal_rgb" in batch:  # (B, H, W, 3) uint8 -> (B, 3, H, W) in [0, 1]
            prepared["goal_rgb"] = torch.as_tensor(np.asarray(batch["goal_rgb"]), device=device).permute(0, 3, 1, 2)
            prepared["goal_rgb"] = prepared["goal_rgb"].float() / 255.0
        if "actions" in batch:
            actions = torch.as_tensor(np.asarray(batch["actions"]), device=device)
            if not self.features.discrete:
                actions = self.stats["actions"].normalize(actions)
            prepared["actions"] = actions
            prepared["action_mask"] = torch.as_tensor(batch["action_mask"], device=device)
        return prepared

    def prepare_obs(self, observations: dict[str, Any]) -> dict[str, torch.Tensor]:
        """(B, T, ...) numpy observations -> normalised tensors on the policy's device."""
        obs = {}
        for key, values in observations.items():
            tensor = torch.as_tensor(np.asarray(values), device=self.device)
            if key == OBS_RGB:
                obs[key] = tensor.permute(0, 1, 4, 2, 3).float() / 255.0
            else:
                obs[key] = self.stats[key].normalize(tensor) if key in self.stats else tensor.float()
        return obs

    @property
    def observation_encoder(self) -> nn.Module | None:
        """The per-frame observation encoder whose features acting may reuse across steps (None: no reuse)."""
        return None

    def goal_id(self, text: str) -> int:
        """The id `select_action` conditions on for a canonical subgoal text.

        Its index in `goal_texts`; a text outside them gets a new id from an open-vocabulary (text)
        goal encoder, and is an UnknownSubgoalError for any other.
        """
        known = self.features.goal_texts
        if text in known:
            return known.index(text)
        for module in self.modules():
            if isinstance(module, TextGoalEncoder):
                return module.add_text(text)
        raise UnknownSubgoalError(f"the policy was not trained on subgoal {text!r}; it knows {list(known)}")

    @property
    def _generator(self) -> torch.Generator:
        return self._state.generator

    def new_state(self) -> ActingState:
        """Fresh acting memory for one more env (see `select_actions`)."""
        return ActingState(self.window.obs_horizon)

    def reset(self, seed: int | None = None) -> None:
        """Forget the observation history and queued actions (new episode or new subgoal)."""
        self._state.reset(seed)

    def select_action(self, observation: dict[str, np.ndarray], goal_id: int) -> Any:
        """One action for the env: predicts a chunk when the queue is empty (receding horizon)."""
        return self.select_actions([observation], [goal_id], [self._state])[0]

    @torch.no_grad()
    def select_actions(self, observations: list[dict[str, np.ndarray]], goal_ids: list[int],
                       states: list[ActingState], batched: bool = True) -> list[Any]:
        """One action per env, with ONE forward for every env whose action queue is empty.

        Each env gets its own random draws; discrete actions are those it gets alone, continuous ones equal
        up to float rounding (a batched matmul may round differently); `batched=False` runs one forward per
        env (bit-identical to acting alone)."""
        if not batched:
            return [self.select_actions([o], [g], [s])[0] for o, g, s in zip(observations, goal_ids, states,
                                                                              strict=True)]
        horizon = self.window.obs_horizon
        for observation, state in zip(observations, states, strict=True):
            if not state.history:
                state.history.extend([observation] * horizon)
                state.encoded.extend([None] * horizon)
            state.history.append(observation)
            state.encoded.append(None)
        ensemble = self.ensemble_weight
        waiting = [i for i, state in enumerate(states) if ensemble or not state.queue]
        if waiting:
            was_training = self.training
            if was_training:  # toggling walks every module: a tenth of an evaluation step's time
                self.eval()
            batch = self._acting_batch([states[i] for i in waiting], [goal_ids[i] for i in waiting])
            chunks = self.predict_chunk(batch, [states[i].generator for i in waiting]).cpu().numpy()
            if was_training:
                self.train()
            if not self.features.discrete and not np.isfinite(chunks).all():
                raise FloatingPointError(f"{self.name} policy produced non-finite actions {chunks[:, 0]}")
            for i, chunk in zip(waiting, chunks, strict=True):
                if ensemble:
                    states[i].chunks.append([chunk, 0])
                else:
                    states[i].queue.extend(chunk[: self.action_steps])
        actions = [ensembled(state, ensemble) if ensemble else state.queue.popleft() for state in states]
        return [int(a) if self.features.discrete else a.astype(np.float32) for a in actions]

    def _acting_batch(self, states: list[ActingState], goal_ids: list[int]) -> dict[str, Any]:
        """The prepared batch for one forward over these envs' histories (frames encoded once, see
        policies/frame_cache.py, when the policy has a per-frame encoder and more than one frame)."""
        horizon = self.window.obs_horizon
        goals = np.stack([np.full(horizon, goal, np.int64) for goal in goal_ids])
        encoder = self.observation_encoder
        if encoder is None or horizon == 1:
            return self.prepare({"obs": {key: np.stack([np.stack([o[key] for o in state.history]) for state in states])
                                         for key in self.features.obs_shapes}, "goal_ids": goals})
        return {"obs": encoded_window(self, encoder, states), "goal_ids": torch.as_tensor(goals, device=self.device)}

    def save(self, directory: str | os.PathLike, weights: str = "pt", half: bool = False) -> None:
        """Weights (`weights`: pt | safetensors) and stats first, policy.json (with their hashes) last: a torn
        save fails its hash check. The other weights file, if the directory had one, is removed. `half` stores
        floating-point tensors as float16 (half the size; loading casts them back to the model's float32)."""
        if weights not in ("pt", "safetensors"):
            raise ValueError(f"weights={weights!r}: expected pt or safetensors")
        os.makedirs(directory, exist_ok=True)
        _write_json(os.path.join(directory, "stats.json"), {k: v.to_json() for k, v in self.stats.items()})
        name = f"model.{weights}"
        tmp = os.path.join(directory, name + ".tmp")
        if weights == "pt":
            torch.save({k: _stored(v, half) for k, v in self.state_dict().items()}, tmp)
        else:
            from safetensors.torch import save_file

            save_file({k: _stored(v, half) for k, v in self.state_dict().items()}, tmp)
        os.replace(tmp, os.path.join(directory, name))
        for other in WEIGHTS_FILES:
            if other != name and os.path.exists(os.path.join(directory, other)):
                os.remove(os.path.join(directory, other))
        features = self.features.to_json()
        hashes = {n: _sha256(os.path.join(directory, n)) for n in (name, "stats.json")}
        meta = {"policy": self.name, "config": dataclasses.asdict(self.config), "features": features,
                "sha256": {**hashes, "features": _json_sha256(features)}}
        _write_json(os.path.join(directory, "policy.json"), meta)


def _stored(tensor: torch.Tensor, half: bool) -> torch.Tensor:
    """A state-dict tensor as written: on the CPU, contiguous, float16 when `half` and it is floating point."""
    tensor = tensor.detach().cpu().contiguous()
    return tensor.half() if half and tensor.is_floating_point() else tensor


def ensembled(state: ActingState, weight: float) -> np.ndarray:
    """This step's action from every chunk that still covers it: sum_i w_i a_i / sum_i w_i with
    w_i = exp(-weight * i), i = 0 the oldest chunk (Zhao et al., 2023, ACT); spent chunks are dropped."""
    actions = np.stack([chunk[index] for chunk, index in state.chunks])
    weights = np.exp(-weight * np.arange(len(actions)))[:, None]
    for entry in state.chunks:
        entry[1] += 1
    state.chunks[:] = [entry for entry in state.chunks if entry[1] < len(entry[0])]
    return (weights * actions).sum(0) / weights.sum()


WEIGHTS_FILES = ("model.safetensors", "model.pt")  # the first one present is loaded


def weights_file(directory: str | os.PathLike) -> str:
    """The name of the weights file a checkpoint directory holds (model.safetensors or model.pt)."""
    for name in WEIGHTS_FILES:
        if os.path.exists(os.path.join(directory, name)):
            return name
    raise CheckpointError(f"{os.fspath(directory)}: no weights file (expected model.safetensors or model.pt)")


def _read_weights(path: str, device: str | torch.device) -> dict[str, torch.Tensor]:
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path, device=str(device))
    return torch.load(path, map_location=device, weights_only=True)


def load_policy(directory: str | os.PathLike, device: str | torch.device = "cpu") -> Policy:
    """Rebuild a policy (config, normalisation stats, weights) from a checkpoint directory, checked."""
    directory = os.fspath(directory)
    if not os.path.exists(os.path.join(directory, "policy.json")):
        raise FileNotFoundError(f"{directory}: not a policy checkpoint (no policy.json)")
    meta = _read_json(directory, "policy.json")
    weights_name = weights_file(directory)
    _check_hashes(directory, meta, weights_name)
    try:
        stats = {k: MinMax.from_json(v) for k, v in _read_json(directory, "stats.json").items()}
        cls = policy_class(meta["policy"])
        policy = cls(cls.config_class(**meta["config"]), Features.from_json(meta["features"]), stats)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{directory}: policy.json/stats.json do not describe a policy "
                              f"({type(error).__name__}: {_first_line(error)})") from None
    path = os.path.join(directory, weights_name)
    try:
        weights = _read_weights(path, device)
        policy.load_state_dict(weights)
    except Exception as error:  # truncated, empty, garbage or foreign: one line naming the file
        raise CheckpointError(f"{path}: unreadable or not the weights of this policy "
                              f"({type(error).__name__}: {_first_line(error)})") from None
    bad = [name for name, tensor in weights.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if bad:
        raise CheckpointError(f"{path}: non-finite weights in {bad[0]} (expected finite numbers)")
    return policy.to(device).eval()


def _check_hashes(directory: str, meta: Any, weights_name: str) -> None:
    if not isinstance(meta, dict):
        raise CheckpointError(f"{directory}/policy.json: expected a JSON object")
    recorded = meta.get("sha256") or {}  # checkpoints saved before hashes were recorded have none
    other = [n for n in WEIGHTS_FILES if n != weights_name and n in recorded]
    if other and weights_name not in recorded:
        raise CheckpointError(f"{directory}: policy.json records the sha256 of {other[0]} but the directory holds "
                              f"{weights_name} (weights swapped after saving; save it again)")
    for name in (weights_name, "stats.json"):
        if name in recorded and _sha256(os.path.join(directory, name)) != recorded[name]:
            raise CheckpointError(f"{directory}/{name}: sha256 differs from the one recorded in policy.json "
                                  f"(a truncated, edited or torn file; save or train it again)")
    if "features" in recorded and _json_sha256(meta.get("features")) != recorded["features"]:
        raise CheckpointError(f"{directory}/policy.json: its features (world, shapes, subgoals) were edited after "
                              f"saving; they no longer match the recorded sha256")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read it ({type(error).__name__})") from None
    return digest.hexdigest()


def _json_sha256(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _read_json(directory: str, name: str) -> Any:
    path = os.path.join(directory, name)
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path}: not readable JSON ({type(error).__name__}: {_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:160] if text else "no detail"


def policy_class(name: str) -> type[Policy]:
    if name not in POLICIES:
        raise KeyError(f"unknown policy {name!r}; expected one of {sorted(POLICIES)}")
    return load_symbol(POLICIES[name])


def _write_json(path: str, data: Any) -> None:
    with open(path + ".tmp", "w") as handle:
        json.dump(data, handle, indent=2)
    os.replace(path + ".tmp", path)
