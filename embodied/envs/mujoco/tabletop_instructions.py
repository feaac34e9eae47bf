"""Instructions to record in the tabletop world: chains of 1-3 clauses in varied wording.

"stack the red block on the blue one, then push the green block to the left". Every chain is feasible
from any reset (all blocks start on the table, outside the regions): a clause only moves a block that is
free (not stacked, not placed yet, nothing on it) and only stacks onto a block with nothing on it, so no
clause undoes an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from embodied.envs.mujoco.tabletop_vocab import COLORS, REGIONS

STACK = ("stack the {a} block on the {b} one", "put the {a} block on top of the {b} block",
         "place the {a} block on the {b} block", "stack {a} on {b}", "put the {a} block onto the {b} one")
PUSH = ("push the {a} block to the {r}", "push the {a} block to the {r} region",
        "slide the {a} block into the {r} region", "shove the {a} block to the {r} side")
PUT = ("put the {a} block in the {r} region", "place the {a} block in the {r} area",
       "move the {a} block into the {r} region")
PICK = ("pick up the {a} block", "lift the {a} block", "grab the {a} block")
PICK_AND = ("pick up the {a} block and put it on the {b} block",
            "grab the {a} block and place it on the {b} one",
            "pick up the {a} block and put it in the {r} region",
            "lift the {a} block, then open the gripper")
TOWER = ("build a tower of {a} on {b} on {c}", "stack {a} on {b} on {c}", "make a tower of {a} on {b} on {c}")
THEN = (", then ", " and then ", ", and then ", ". then ", " then ", ", after that ")


@dataclass
class _Table:
    """What earlier clauses did: blocks that must stay where they are and blocks with one on top."""

    fixed: set[str] = field(default_factory=set)
    covered: set[str] = field(default_factory=set)

    def free(self) -> list[str]:
        return [c for c in COLORS if c not in self.fixed and c not in self.covered]

    def tops(self) -> list[str]:
        return [c for c in COLORS if c not in self.covered]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return str(options[rng.integers(len(options))])


def _clause(rng: np.random.Generator, table: _Table, last: bool) -> str | None:
    """One clause over free blocks, or None when nothing is left to move."""
    free = table.free()
    if not free:
        return None
    a, r = _pick(rng, free), _pick(rng, list(REGIONS))
    targets = [c for c in table.tops() if c != a]
    kinds = ["push", "put"] + ["stack"] * 2 * bool(targets) + ["pick"] * last
    kind = _pick(rng, kinds)
    if kind == "stack":
        b = _pick(rng, targets)
        table.fixed |= {a, b}
        table.covered.add(b)
        return _pick(rng, list(STACK)).format(a=a, b=b)
    if kind in ("push", "put"):
        table.fixed.add(a)
        return _pick(rng, list(PUSH if kind == "push" else PUT)).format(a=a, r=r)
    template = _pick(rng, list(PICK + PICK_AND))
    b = _pick(rng, targets) if targets else None
    if "{b}" in template and b is None:
        template = PICK[0]
    return template.format(a=a, b=b, r=r)


def sample(rng: np.random.Generator) -> str:
    """A feasible instruction of 1-3 clauses (a tower counts as one) joined by varied 'then's."""
    if rng.random() < 0.15:
        a, b, c = rng.permutation(COLORS)
        return _pick(rng, list(TOWER)).format(a=a, b=b, c=c)
    n = int(rng.integers(1, 4))
    table, clauses = _Table(), []
    for i in range(n):
        clause = _clause(rng, table, last=i == n - 1)
        if clause is None:
            break
        clauses.append(clause)
    text = clauses[0]
    for clause in clauses[1:]:
        text += _pick(rng, list(THEN)) + clause
    return text
