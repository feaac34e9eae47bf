"""A world needs no edits elsewhere: a tiny grid world (two skills), written here through the public contract
only (SubgoalEnv, Vocabulary, Rules, Expert, LanguageAssets, World) and registered with one line, goes
through collect -> data info -> train -> eval in the real CLI."""

import json

import numpy as np
from gymnasium import spaces

from embodied.cli.main import main
from embodied.registry import World, register_world
from embodied.types import OBS_STATE, InvalidPlanError, Skill, Subgoal, UnknownSubgoalError
from embodied.worlds.base import SubgoalEnv, Vocabulary
from embodied.worlds.expert import Expert
from embodied.worlds.language import LanguageAssets, choose
from embodied.worlds.rules import Rules

COLORS = ("red", "blue")
MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))


def parse(subgoal):
    text = (subgoal.text or subgoal.skill.replace("_", " ")) if isinstance(subgoal, Subgoal) else str(subgoal)
    for color in COLORS:
        if text.strip().lower() in (f"go to {color}", f"go_to_{color}"):
            return Subgoal(f"go_to_{color}", (), f"go to {color}")
    raise UnknownSubgoalError(f"unknown grid subgoal {subgoal!r}")


VOCABULARY = Vocabulary("grid", tuple(Skill(f"go_to_{c}", (), f"go to {c}") for c in COLORS),
                        tuple(f"go to {c}" for c in COLORS), parse)


class GridEnv(SubgoalEnv):
    """5x5 grid: the agent walks (4 moves) to the red or the blue cell."""

    world, vocabulary, max_subgoal_steps = "grid", VOCABULARY, 20

    def __init__(self) -> None:
        super().__init__()
        self.observation_space = spaces.Dict({OBS_STATE: spaces.Box(0, 4, (6,), np.float32)})
        self.action_space = spaces.Discrete(4)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        cells = self.np_random.choice(25, size=3, replace=False)
        self.agent, *targets = [np.array(divmod(int(c), 5)) for c in cells]
        self.cells = dict(zip(COLORS, targets, strict=True))
        return self._obs(), {"is_success": self.subgoal_success()}

    def step(self, action):
        self.agent = np.clip(self.agent + MOVES[int(action)], 0, 4)
        success = self.subgoal_success()
        return self._obs(), float(success), False, False, {"is_success": success}

    def subgoal_success(self) -> bool:
        return self.subgoal is not None and bool((self.agent == self.cells[self.subgoal.skill[6:]]).all())

    def describe(self):
        at = [c for c in COLORS if (self.agent == self.cells[c]).all()]
        return {"world": "grid", "at": at[0] if at else None}

    def render(self):
        image = np.zeros((5, 5, 3), np.uint8)
        image[tuple(self.agent)] = 255
        return image

    def _obs(self):
        return {OBS_STATE: np.concatenate([self.agent, *self.cells.values()]).astype(np.float32)}


class GridExpert(Expert):
    """Steps along x, then y, towards the target cell (privileged: reads the env's cells)."""

    def act(self, observation):
        delta = self.env.cells[self.env.subgoal.skill[6:]] - self.env.agent
        axis = 0 if delta[0] else 1
        return MOVES.index(tuple(int(np.sign(delta[i])) if i == axis else 0 for i in range(2)))


class GridRules(Rules):
    """The colours an instruction names, in order; a goal already reached at the start is skipped."""

    def parse(self, instruction):
        words = instruction.lower().replace(",", " ").split()
        goals = [parse(f"go to {w}") for w in words if w in COLORS]
        if not goals:
            raise InvalidPlanError(f"grid: no colour in {instruction!r}")
        return goals

    def expand(self, goals, observation):
        return [g for i, g in enumerate(goals) if i or g.text != f"go to {observation.get('at')}"]

    def check(self, subgoals, observation, instruction=""):
        for subgoal in subgoals:
            parse(subgoal)
        if instruction and [s.text for s in self.plan(instruction, observation).subgoals] != \
                [s.text for s in subgoals]:
            raise InvalidPlanError(f"grid: {[s.text for s in subgoals]} does not do {instruction!r}")


RULES = GridRules()
LANGUAGE = LanguageAssets("go to red; go to blue", (), lambda rng: choose(rng, ["go to red", "go to blue, then red"]))
WORLD = World("grid", f"{__name__}:GridEnv", f"{__name__}:GridExpert", f"{__name__}:RULES",
              f"{__name__}:VOCABULARY", f"{__name__}:LANGUAGE")


def test_a_new_world_runs_collect_train_eval_with_no_edits_elsewhere(tmp_path, capsys):
    register_world("grid", f"{__name__}:WORLD")  # the one registry line
    data, run = tmp_path / "grid.hdf5", tmp_path / "run"
    assert main(["collect", "env=grid", "episodes=8", "workers=1", "noise=0", f"out={data}"]) == 0
    assert main(["data", "info", str(data)]) == 0
    assert "go to blue" in capsys.readouterr().out
    assert main(["train", f"dataset={data}", "policy=transformer", "train.steps=30", "policy.dim=32",
                 "policy.layers=1", "policy.heads=2", "train.batch_size=16", f"out={run}"]) == 0
    assert main(["eval", f"checkpoint={run}", "episodes=3", "takeover=false"]) == 0
    metrics = json.loads((run / "eval.json").read_text())
    assert metrics["env"] == "grid" and metrics["instruction_success"]["attempts"] == 3
    assert set(metrics["subgoals"]) <= {"go to red", "go to blue"} and metrics["subgoals"]
