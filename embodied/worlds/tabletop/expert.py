"""Scripted expert for the tabletop world: Cartesian waypoints for pick, place-on, place-in, push and open.

pick: above the block, descend around it, close, lift. place on / in: (pick first if needed) carry above the
target block or a free spot of the region, descend, open, retreat upwards. push: over a point behind the
block on the far side from the region, lower, push along the line to the region; when other blocks are in
the way, first push it to a via point with a clear line (tabletop_push), re-approach when contact is lost;
carry it there only when no push path is clear. open: open the fingers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embodied.types import Subgoal
from embodied.worlds.expert import Expert
from embodied.worlds.tabletop.env import HALF_BLOCK, IN_REGION, MOVE_PER_STEP, REGION_HALF, TABLE_TOP
from embodied.worlds.tabletop.push import PUSH_BEHIND, REACH, push_path
from embodied.worlds.tabletop.vocab import COLORS, make_subgoal

OPEN, CLOSE = 1.0, -1.0
GRASP_HEIGHT = 0.008  # grip site above the block centre when grasping (keeps the fingers off the table)
TRAVEL_HEIGHT = TABLE_TOP + 0.16  # empty fingers clear a three-block tower when moving sideways
CARRY_HEIGHT = TABLE_TOP + 0.18  # a held block clears a three-block tower
PRECISE_PHASES = (1, 2, 11, 12, 13)  # descend, grasp, lower, release, retreat (and pushing, phase 2)
OFF_COURSE = 0.012  # metres of xy error that send a descent back above its target
# Grasp and release end on what the observation shows (proprio: gap, gap rate), not on a step count, so a
# policy without memory sees one label per state (a 5-step timer labelled "stay" and "lift" on the same state)
SETTLED_RATE = 0.02  # m/s: fingers closed on the block and at rest
RELEASED_GAP = 0.07  # m: fingers open wide enough to retreat without dragging the block
CLOSE_STEPS = 10  # at most this many steps closing or opening
PUSHED_IN = 0.03  # m: a pushed block this far inside the region's edge is left there (the fingers back off)
PUSH_SPEED = 0.5  # fraction of the full command while pushing a block
ENGAGED_ALONG, ENGAGED_LATERAL = (0.02, 0.075), 0.02  # low and this close behind the block: pushing
LOST_ALONG, LOST_LATERAL = (0.015, 0.09), 0.025  # outside this while pushing: contact lost, approach again
CLEAR = 0.05  # grip this far (xy) from a block it pushed before rising


class TabletopExpert(Expert):
    """Phase machines over waypoints read from true block poses.

    `noise` scales Gaussian noise on the xyz command (std `noise` in action units, x 0.3 while the fingers
    descend, grasp, lower, release or retreat around a block or push it) and on waypoints drawn per subgoal
    (hover height std 2 x `noise` cm, hover xy and region spot std `noise` cm, clipped to 4 mm).
    """

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise, seed)
        self.table = env.unwrapped
        self.start(None)

    def reset(self) -> None:
        self.start(None)

    def start(self, subgoal: Subgoal | None) -> None:
        self.phase, self.timer = 0, 0
        self.spot: np.ndarray | None = None  # where place_in puts the block
        self.legs: list[np.ndarray] | None = None  # push: points the block centre is pushed to, in turn
        self.direction = np.array([1.0, 0.0])  # push: direction of the current leg
        self.lift = False  # push by carrying (no clear push path)
        self.hover_dz = abs(self.rng.normal(0, 0.02 * self.noise))
        self.hover_dxy = self.rng.normal(0, 0.01 * self.noise, 2).clip(-0.004, 0.004)

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        subgoal = self.table.subgoal
        grip = self.table.grip_position
        if subgoal is None or subgoal.skill == "open_gripper":
            move, finger = np.zeros(3), OPEN
        elif subgoal.skill == "pick_up":
            move, finger = self._pick(grip, subgoal.arg("object"))
        elif subgoal.skill in ("place_on", "place_in"):
            move, finger = self._place(grip, subgoal)
        else:
            move, finger = self._push(grip, subgoal.arg("object"), subgoal.arg("region"))
        command = move / MOVE_PER_STEP
        self.intended = np.append(command / max(1.0, float(np.abs(command).max())), finger).astype(np.float32)
        if self.noise > 0:  # milder while the fingers work around a block
            lifting = subgoal is not None and (subgoal.skill != "push_to" or self.lift)
            pushing = subgoal is not None and subgoal.skill == "push_to" and not self.lift and self.phase == 2
            precise = (lifting and self.phase in PRECISE_PHASES) or pushing
            command = command + self.rng.normal(0, self.noise * (0.3 if precise else 1.0), 3)
        command = command / max(1.0, float(np.abs(command).max()))  # saturate, keeping the direction
        return np.append(command, finger).astype(np.float32)

    # --- pick ---------------------------------------------------------------------------------
    def _pick(self, grip: np.ndarray, color: str) -> tuple[np.ndarray, float]:
        block = self.table.block_position(color)
        grasp = block + np.array([0, 0, GRASP_HEIGHT])
        held = self.table.holding()
        # states a policy leads to (DAgger labels them): the block already in the fingers is lifted, and a
        # grip pushed off the block while descending or closing approaches it from above again
        if held == color and self.phase < 2:
            self.phase = 3
        elif self.phase in (1, 2) and np.linalg.norm(grip[:2] - grasp[:2]) > OFF_COURSE:
            self.phase = 0
        if self.phase == 0:  # above the block, open (dropping any other block first)
            above = np.append(block[:2] + self.hover_dxy, grasp[2] + 0.07 + self.hover_dz)
            if np.linalg.norm(grip[:2] - above[:2]) < 0.008 and abs(grip[2] - above[2]) < 0.03:
                self.phase = 1
            if held not in (None, color):
                return np.zeros(3), OPEN
            # closed fingers low down (after a push) rise before opening, so they do not kick a block
            low = self.table.finger_gap < 2 * HALF_BLOCK and grip[2] < TABLE_TOP + 0.08
            return _rise_first(grip, above, TRAVEL_HEIGHT), CLOSE if low else OPEN
        if self.phase == 1:  # descend around it
            if np.linalg.norm(grip - grasp) < 0.007:
                self.phase, self.timer = 2, 0
            return grasp - grip, OPEN
        if self.phase == 2:  # close until the fingers have settled on the block (what the policy sees, no timer)
            self.timer += 1
            settled = held == color and abs(self.table.finger_gap_rate) < SETTLED_RATE
            if not settled and self.timer < CLOSE_STEPS:
                return grasp - grip, CLOSE
            self.phase = 3
        if held != color:  # slipped: open and start over
            self.phase = 0
            return np.array([0, 0, 0.02]), OPEN
        return np.array([grip[0], grip[1], CARRY_HEIGHT]) - grip, CLOSE

    # --- place on a block / in a region ------------------------------------------------------------
    def _place(self, grip: np.ndarray, subgoal: Subgoal) -> tuple[np.ndarray, float]:
        color = subgoal.arg("object")
        if self.phase < 10:  # pick it up first (a no-op when the chain already did)
            if self.table.holding() == color and grip[2] > CARRY_HEIGHT - 0.03:
                self.phase = 10
            else:
                return self._pick(grip, color)
        if self.phase in (10, 11) and self.table.holding() != color:  # dropped on the way: pick again
            self.phase = 0
            return self._pick(grip, color)
        goal = self._place_goal(subgoal)
        if self.phase == 10:  # carry above the goal
            if np.linalg.norm(grip[:2] - goal[:2]) < 0.005:
                self.phase = 11
            return np.array([goal[0], goal[1], CARRY_HEIGHT]) - grip, CLOSE
        if self.phase == 11 and np.linalg.norm(grip[:2] - goal[:2]) > OFF_COURSE:  # off course: above it again
            self.phase = 10
        if self.phase == 11:  # lower onto it
            if np.linalg.norm(grip - goal) < 0.005:
                self.phase, self.timer = 12, 0
            return goal - grip, CLOSE
        if self.phase == 12:  # release until the fingers are open wide (a state the policy sees, no timer)
            self.timer += 1
            if self.table.finger_gap < RELEASED_GAP and self.timer < CLOSE_STEPS:
                return goal - grip, OPEN
            self.phase = 13
        if grip[2] > self.table.block_position(color)[2] + 0.07 and not self._placed(subgoal):
            self.phase = 0  # it fell off: pick it up again
        return np.array([0, 0, 0.02]), OPEN  # back off upwards

    def _placed(self, subgoal: Subgoal) -> bool:
        color = subgoal.arg("object")
        if subgoal.skill == "place_on":
            return self.table.on_top_of(color, subgoal.arg("target"))
        return self.table.on_table(color) and self.table.region_of(color) == subgoal.arg("region")

    def _place_goal(self, subgoal: Subgoal) -> np.ndarray:
        """Grip position that sets the block down: on the target block or on a free spot of the region."""
        if subgoal.skill == "place_on":
            target = self.table.block_position(subgoal.arg("target"))
            return target + np.array([0, 0, 2 * HALF_BLOCK + GRASP_HEIGHT])
        if self.spot is None:
            self.spot = self._free_spot(subgoal.arg("region"), subgoal.arg("object"))
        return np.append(self.spot, TABLE_TOP + HALF_BLOCK + GRASP_HEIGHT + 0.002)

    def _free_spot(self, region: str, color: str) -> np.ndarray:
        """The point of the region nearest its centre that is clear of the other blocks (fingers included)."""
        centre = self.table.region_centre(region)
        others = [self.table.block_position(c)[:2] for c in COLORS if c != color]
        span = REGION_HALF - 2 * HALF_BLOCK
        xs, ys = np.meshgrid(np.linspace(-span[0], span[0], 7), np.linspace(-span[1], span[1], 11))
        candidates = centre + np.stack([xs.ravel(), ys.ravel()], 1)
        candidates = candidates[np.argsort(np.linalg.norm(candidates - centre, axis=1))]
        for point in candidates:
            if all(np.linalg.norm(point - other) > 0.075 for other in others):
                return point + self.hover_dxy
        return centre

    # --- push ---------------------------------------------------------------------------------
    def _push(self, grip: np.ndarray, color: str, region: str) -> tuple[np.ndarray, float]:
        block = self.table.block_position(color)
        if self._well_inside(block, region) and self.table.holding() != color:  # there: back off, rise, let it rest
            finger = OPEN if self.table.finger_gap > 2 * HALF_BLOCK + 0.008 else CLOSE  # as they are
            return _back_off(grip, block), finger
        if self.legs is None and not self.lift:  # plan (again after losing contact) from where the block is
            others = np.array([self.table.block_position(c)[:2] for c in COLORS if c != color])
            self.legs = push_path(block[:2], others, self.table.region_centre(region))
            self.lift = self.legs is None
        if self.lift or not self.legs:  # no clear push: carry it there instead
            return self._place(grip, make_subgoal("place_in", object=color, region=region))
        goal, final = self.legs[0], len(self.legs) == 1
        # the leg's direction and whether the fingers are on the block come from the state at every step (no
        # phase memory decides them), so a policy without history sees one label per state
        self.direction = (goal - block[:2]) / max(float(np.linalg.norm(goal - block[:2])), 1e-6)
        direction = self.direction
        behind = np.append(block[:2] - direction * PUSH_BEHIND, block[2] + 0.004)
        offset = block[:2] - grip[:2]
        along, lateral = float(offset @ direction), float(direction[0] * offset[1] - direction[1] * offset[0])
        low = grip[2] < block[2] + 0.015
        if low and ENGAGED_ALONG[0] < along < ENGAGED_ALONG[1] and abs(lateral) < ENGAGED_LATERAL:
            self.phase = 2
        if self.phase == 0:  # over the start point behind the block
            hover = np.append(behind[:2], TRAVEL_HEIGHT)
            if np.any(np.abs(behind[:2]) > REACH):  # the block went off the planned path: plan again
                self.legs = None
                return np.zeros(3), CLOSE
            if self.table.holding() is not None:
                return np.zeros(3), OPEN
            if np.linalg.norm(grip[:2] - hover[:2]) >= 0.008:
                return _rise_first(grip, hover, TRAVEL_HEIGHT), CLOSE
            self.phase = 1  # there: descend from this step on (no step labelled "stay" on the way)
        if self.phase == 1:  # down behind it
            if np.linalg.norm(grip - behind) >= 0.008:
                return behind - grip, CLOSE
            self.phase = 2
        if not final and (goal - block[:2]) @ direction < 0.01:  # at the via point: next leg
            self.legs.pop(0)
            self.phase = 0
            return _back_off(grip, block), CLOSE
        if not low or abs(lateral) > LOST_LATERAL or not LOST_ALONG[0] < along < LOST_ALONG[1]:
            self.phase, self.legs = 0, None  # lost contact or alignment: lift, plan and approach again
            return _back_off(grip, block), CLOSE
        target = np.append(goal - direction * (0.045 if final else 0.03), behind[2])
        move = target - grip  # at most PUSH_SPEED of full speed in contact: a fast-pushed block slides on
        return move * min(1.0, PUSH_SPEED * MOVE_PER_STEP / max(float(np.abs(move).max()), 1e-9)), CLOSE

    def _well_inside(self, block: np.ndarray, region: str) -> bool:
        """The block's footprint is PUSHED_IN inside the region along x (the push axis), within it along y."""
        offset = np.abs(block[:2] - self.table.region_centre(region))
        return bool(offset[0] < IN_REGION[0] - PUSHED_IN and offset[1] < IN_REGION[1])


def _back_off(grip: np.ndarray, block: np.ndarray) -> np.ndarray:
    """Away from a block the fingers were pushing: sideways at their height until CLEAR of it, then up. Never
    both at once, so a policy mixing this with the push (whose height is constant) never rises while pushing
    forward (which flings the block: the independently sampled bins made "push + rise" of "push" and "rise")."""
    away = grip[:2] - block[:2]
    distance = float(np.linalg.norm(away))
    if grip[2] < block[2] + 2 * HALF_BLOCK and distance < CLEAR:
        return np.append(away * 0.01 / max(distance, 1e-6), 0.0)
    return np.array([0.0, 0.0, 0.02])


def _rise_first(grip: np.ndarray, waypoint: np.ndarray, height: float) -> np.ndarray:
    """Travel sideways at `height` or above (rising straight up first), so the fingers never sweep through
    blocks; descend only once over the waypoint."""
    if np.linalg.norm(grip[:2] - waypoint[:2]) > 0.02:
        if grip[2] < height - 0.01:
            return np.array([0.0, 0.0, height - grip[2]])
        return np.append(waypoint[:2], max(waypoint[2], height)) - grip
    return waypoint - grip

