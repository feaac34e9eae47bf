"""Scripted privileged expert for FrankaKitchen: Cartesian waypoints read from the simulator, followed by
damped-least-squares IK (embodied.worlds.kitchen.ik) as joint velocity actions.

Every subgoal starts by letting go of whatever the hand holds, backing away and returning to a home
joint posture, so tasks can be chained in any order in one episode. Door handles are grasped and pulled
along their hinge's arc (microwave, hinge cabinet; re-grasped if they slip), knobs are grasped and
turned, the slide cabinet's bar is grasped and carried sideways, the light switch is pushed sideways
with the closed fingers, and the kettle is grasped by its handle from above and carried towards the
back burner. Positions of handles, knobs and the kettle are read from the simulator (privileged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from embodied.types import Subgoal
from embodied.worlds.expert import Expert, ExpertStuck
from embodied.worlds.kitchen.ik import CLOSE, DOWN, FRONT, OPEN, ArmIK, orientation_error, rotation

PULL_LEAD = 0.15  # rad ahead of the door angle that the hand is sent along the arc
MAX_RETRIES = 2
KNOB_GRASP_DROP, KNOB_TURN = 0.02, 1.0  # grasp height below a knob's centre (m), turn to (rad)
KETTLE_LIFT, KETTLE_RESTING_Z = 0.05, 1.62  # lift (m); kettle height standing on the stove (m)
# handle-bar xy to carry to: short of the goal burner (-0.23, 0.75), where a hand pointing down would hit
# the knob panel; the task's 0.3 tolerance is met well before
KETTLE_CARRY = (-0.25, 0.55)
FINGER_OPEN, FINGER_STILL = 0.04, 0.03  # finger joint when open (m); speed below which they have settled (m/s)
TRAVEL_TURN = 0.6  # rad: how far from FRONT the hand may be turned when a retreat / home stage counts as arrived
FINGER_FALLBACK = 10  # extra steps a hold may take before the script moves on regardless
HOME = np.array([-0.30, 0.28, 2.15])
REST_POSTURE = np.array([0.148, -1.768, 1.844, -2.477, 0.26, 0.713, 1.595])  # FrankaKitchen's start arm pose
HOME_POSTURE = np.array([-0.081, -1.587, 1.584, -2.998, 0.232, 1.508, 1.354])  # hand at HOME, FRONT
KETTLE_POSTURE = np.array([0.235, -0.118, 0.437, -2.566, 0.079, 0.887, -0.963])  # hand above the kettle, DOWN
Z_AXIS, Y_AXIS = np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])
UP, BACK = Z_AXIS, -Y_AXIS  # BACK: towards the robot
Pose = tuple[np.ndarray, np.ndarray]  # position (3,), rotation (3, 3)


@dataclass
class Stage:
    """One step of a script: servo to `target()` with the fingers at `finger` until `done()` holds.

    A stage with `joints` servos the arm's joint angles there instead (pose `target` unused); `rest` is
    the posture the IK's null space leans to (default REST_POSTURE).
    """

    name: str
    target: Callable[[], Pose] | None
    finger: float
    done: Callable[[], bool]
    max_steps: int = 60
    failed: Callable[[], bool] | None = None  # when true, the script restarts (at most MAX_RETRIES times)
    joints: np.ndarray | None = None
    rest: np.ndarray | None = None


class KitchenExpert(Expert):
    """Solves the 7 kitchen tasks from wherever the arm is (see module docstring).

    `noise` jitters the free-space waypoints (x 3 cm) and adds Gaussian joint velocity noise (x 0.3).
    """

    def __init__(self, env: Any, noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(env, noise, seed)
        self.kitchen = env.unwrapped
        self.model, self.data = self.kitchen.model, self.kitchen.data
        self.ik = ArmIK(self.model, self.data, "end_effector", self.kitchen.control_dt, REST_POSTURE)
        self.stages: list[Stage] = []
        self.stage, self.stage_steps, self.retries = 0, 0, 0
        self.timed_out: list[str] = []  # names of the stages that ended at their step budget (diagnostics)
        self.scripts: dict[str, Callable[[], list[Stage]]] = {
            "microwave": self._microwave, "kettle": self._kettle, "light_switch": self._light_switch,
            "slide_cabinet": self._slide_cabinet, "hinge_cabinet": self._hinge_cabinet,
            "bottom_burner": lambda: self._burner("knob_Joint_2", "knob2_site"),
            "top_burner": lambda: self._burner("knob_Joint_4", "knob4_site"),
        }

    # --- Expert API ---------------------------------------------------------------------------
    def reset(self) -> None:
        self.stages, self.stage, self.stage_steps, self.retries = [], 0, 0, 0
        self.timed_out = []

    def start(self, subgoal: Subgoal) -> None:
        if subgoal.skill not in self.scripts:
            raise ExpertStuck(f"kitchen expert has no script for {subgoal.text!r}")
        self.stages = self._prelude() + self.scripts[subgoal.skill]()
        self.stage, self.stage_steps, self.retries = 0, 0, 0

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        if not self.stages:
            subgoal = self.kitchen.subgoal
            if subgoal is None:
                raise ExpertStuck("kitchen expert: no subgoal set")
            self.start(subgoal)
        while self.stage < len(self.stages) - 1:
            stage = self.stages[self.stage]
            if not stage.done():
                if self.stage_steps < stage.max_steps:
                    break
                self.timed_out.append(stage.name)  # a step budget, not the state, ended it: a policy cannot see why
            self.stage, self.stage_steps = self.stage + 1, 0
        current = self.stages[self.stage]
        if current.failed is not None and self.retries < MAX_RETRIES and current.failed():
            self.retries += 1
            self.stages = self._prelude(home=False) + self.scripts[self.kitchen.subgoal.skill]()
            self.stage, current = 0, self.stages[0]
        self.stage_steps += 1
        self.ik.rest = REST_POSTURE if current.rest is None else current.rest
        if current.joints is not None:
            action = self.ik.joint_action(current.joints, current.finger)
        else:
            position, orientation = current.target()
            action = self.ik.action(position, orientation, current.finger)
        self.intended = np.clip(action, -1.0, 1.0).astype(np.float32)
        if self.noise > 0:
            action[:7] += self.rng.normal(0.0, 0.3 * self.noise, 7)
        return np.clip(action, -1.0, 1.0).astype(np.float32)

    @property
    def stage_name(self) -> str:
        return self.stages[self.stage].name if self.stages else ""

    # --- building blocks ----------------------------------------------------------------------
    def _site(self, name: str) -> np.ndarray:
        return self.data.site(name).xpos.copy()

    def _joint(self, name: str) -> float:
        return float(self.data.joint(name).qpos[0])

    def _jitter(self, scale: float = 0.03, size: int = 3) -> np.ndarray:
        return self.rng.uniform(-1.0, 1.0, size) * scale * self.noise

    def _near(self, pose: Callable[[], Pose], tolerance: float, turn: float = 0.1) -> Callable[[], bool]:
        def done() -> bool:
            position, orientation = pose()
            return bool(np.linalg.norm(self.ik.position - position) < tolerance
                        and np.linalg.norm(orientation_error(self.ik.orientation, orientation)) < turn)
        return done

    def _reach(self, name: str, position: Callable[[], np.ndarray], orientation: np.ndarray, finger: float,
               tolerance: float = 0.02, max_steps: int = 60, turn: float = 0.1) -> Stage:
        def pose() -> Pose:
            return position(), orientation
        return Stage(name, pose, finger, self._near(pose, tolerance, turn), max_steps)

    def _hold(self, name: str, finger: float, steps: int) -> Stage:
        """Keep the hand where it is while the fingers open or close; done once they have (read from the
        fingers' joints, not counted, so a policy sees when the hold ends); `steps` is only a fallback."""
        frozen: list[Pose] = []

        def pose() -> Pose:
            if not frozen:
                frozen.append((self.ik.position, self.ik.orientation))
            return frozen[0]
        return Stage(name, pose, finger, self._fingers_settled if finger == CLOSE else self._fingers_open,
                     steps + FINGER_FALLBACK)

    def _fingers_settled(self) -> bool:
        """Closed on something (or on nothing) and no longer moving."""
        width, speed = self.data.qpos[7:9], self.data.qvel[7:9]
        return bool((width < FINGER_OPEN - 0.003).all() and (np.abs(speed) < FINGER_STILL).all())

    def _fingers_open(self) -> bool:
        """Open, or as open as they get (a finger pressed against the light switch lever stays shut)."""
        width, speed = self.data.qpos[7:9], self.data.qvel[7:9]
        return bool((width > FINGER_OPEN - 0.004).any() and (np.abs(speed) < FINGER_STILL).all())

    def _prelude(self, home: bool = True) -> list[Stage]:
        """Set down a lifted kettle, let go, back away (towards the robot, or up from above the kettle) and
        (if `home`) return to HOME: first to its height and depth, then sideways, so the arm stays clear
        of open doors, and into the home joint posture. Near HOME only the posture is restored."""
        stages = []
        if np.linalg.norm(self.ik.position - HOME) > 0.25:
            if self.data.qpos[25] > KETTLE_RESTING_Z + 0.01:
                lowered = self.ik.position - np.array([0.0, 0.0, self.data.qpos[25] - KETTLE_RESTING_Z])
                stages.append(self._reach("set down", lambda: lowered, self.ik.orientation, CLOSE, 0.01, 15))
            pointing_down = self.ik.orientation[2, 2] < -0.7
            back = self.ik.position + (UP if pointing_down else BACK) * 0.12
            stages += [self._hold("release", OPEN, 4),
                       self._reach("back off", lambda: back, self.ik.orientation, OPEN, 0.04, 25)]
            if home:
                # on the way the hand's turn is loose (joint limits can stop it short of FRONT, as back from the
                # slide cabinet); the home posture below sets it
                if back[2] > HOME[2] + 0.3 and back[0] > -0.12:
                    # high up at the slide cabinet (x ~ 0; the hinge cabinet's handle is at x ~ -0.2): down, then
                    # the home posture in joint space (a Cartesian retreat towards the robot from there runs the
                    # elbow into its joint limit)
                    lowered_hand = np.array([back[0], back[1], HOME[2] + 0.05])
                    stages.append(self._reach("lower", lambda: lowered_hand, FRONT, OPEN, 0.05, 40, TRAVEL_TURN))
                else:
                    retreat = np.array([back[0], HOME[1], HOME[2]])
                    stages += [self._reach("retreat", lambda: retreat, FRONT, OPEN, 0.05, 60, TRAVEL_TURN),
                               self._reach("home", lambda: HOME, FRONT, OPEN, 0.05, 30, TRAVEL_TURN)]
        if home:
            stages.append(self._joints("home posture", HOME_POSTURE + self._jitter(0.05, 7), OPEN))
        return stages

    def _joints(self, name: str, joints: np.ndarray, finger: float, max_steps: int = 40) -> Stage:
        def done() -> bool:
            return bool(np.abs(self.data.qpos[:7] - joints).max() < 0.05)
        return Stage(name, None, finger, done, max_steps, joints=joints)

    def _arc_target(self, joint: str, site: str, lead: float, sign: float) -> np.ndarray:
        """Where `site` would be if vertical hinge `joint` turned `lead` rad further (direction `sign`)."""
        anchor = self.data.joint(joint).xanchor.copy()
        return anchor + rotation(Z_AXIS, sign * lead) @ (self._site(site) - anchor)

    # --- task scripts -------------------------------------------------------------------------
    def _pull_open(self, joint: str, site: str, goal: float, turn: float) -> list[Stage]:
        """Grasp the vertical handle at `site` and walk it along the arc of hinge `joint` to `goal` rad.

        The hand turns by `turn` x the door angle, the rest of the turn slips around the round handle.
        If the handle slips out of the fingers the script starts again from where the door is.
        """
        sign = float(np.sign(goal))
        grasp = rotation(Z_AXIS, turn * self._joint(joint)) @ FRONT
        approach = self._jitter()

        def handle(offset: float, jitter: np.ndarray) -> Callable[[], np.ndarray]:
            return lambda: self._site(site) + offset * grasp[:, 2] + jitter

        def follow() -> Pose:
            position = self._arc_target(joint, site, PULL_LEAD, sign)
            return position, rotation(Z_AXIS, turn * self._joint(joint)) @ FRONT
        return [
            self._reach("pre-grasp", handle(-0.13, approach), grasp, OPEN, 0.02),
            self._reach("grasp", handle(-0.005, np.zeros(3)), grasp, OPEN, 0.01, 40),
            self._hold("close", CLOSE, 6),
            Stage("pull", follow, CLOSE, lambda: sign * self._joint(joint) > abs(goal), 120,
                  failed=self._lost_grip),
        ]

    def _lost_grip(self) -> bool:
        """Both fingers closed on nothing."""
        return bool((self.data.qpos[7:9] < 0.004).all())

    def _microwave(self) -> list[Stage]:
        return self._pull_open("microwave", "microhandle_site", -0.8, 0.5)

    def _hinge_cabinet(self) -> list[Stage]:
        return self._pull_open("right_hinge_cabinet", "hinge_site2", 1.35, 0.5)

    def _light_switch(self) -> list[Stage]:
        """Closed hand to the right of the switch lever's tip, then push it 20 cm towards -x."""
        lever = self._site("light_site")
        beside = lever + np.array([0.055, 0.0, 0.0])
        ahead = lever + np.array([-0.2, 0.0, 0.0])
        approach = beside + np.array([0.04, -0.12, 0.0]) + self._jitter()
        return [
            self._reach("approach", lambda: approach, FRONT, CLOSE, 0.02),
            self._reach("beside", lambda: beside, FRONT, CLOSE, 0.012, 40),
            Stage("push", lambda: (ahead, FRONT), CLOSE, lambda: self._joint("light_switch") < -0.65, 100),
        ]

    def _slide_cabinet(self) -> list[Stage]:
        """Grasp the slide door's vertical bar and carry it along +x (a finger pushes it: no friction needed).

        The hand climbs to the bar's height near the robot first, in front of an open hinge-cabinet door.
        """
        bar = self._site("slide_site")
        rise = np.array([bar[0] + 0.03, 0.30, bar[2]]) + self._jitter()
        # a little right of the bar (the fingers centre it when closing): the hand's left end then clears
        # the handle of an open hinge-cabinet door
        pre_grasp = bar + np.array([0.012, -0.12, 0.0])
        grasp = bar + np.array([0.012, -0.005, 0.0])
        opened = bar + np.array([0.25, -0.005, 0.0])
        return [
            self._reach("rise", lambda: rise, FRONT, OPEN, 0.04),
            self._reach("pre-grasp", lambda: pre_grasp, FRONT, OPEN, 0.02),
            self._reach("grasp", lambda: grasp, FRONT, OPEN, 0.01, 40),
            self._hold("close", CLOSE, 5),
            Stage("slide", lambda: (opened, FRONT), CLOSE, lambda: self._joint("slide_cabinet") > 0.2, 80),
        ]

    def _kettle(self) -> list[Stage]:
        """Grasp the kettle's handle bar from above (fingers across it), lift it, carry it towards the
        back-left burner and set it down."""
        bar = self._site("kettle_site")  # centre of the handle bar (along x, on top of the kettle)
        above = bar + np.array([0.0, 0.0, 0.12]) + self._jitter()
        lifted = bar + np.array([0.0, 0.0, KETTLE_LIFT])
        carried = np.array([*KETTLE_CARRY, lifted[2]])
        placed = carried - np.array([0.0, 0.0, KETTLE_LIFT - 0.005])
        stages = [
            self._joints("reconfigure", KETTLE_POSTURE, OPEN, 50),
            self._reach("above handle", lambda: above, DOWN, OPEN, 0.015),
            self._reach("descend", lambda: bar, DOWN, OPEN, 0.008, 40),
            self._hold("close", CLOSE, 6),
            self._reach("lift", lambda: lifted, DOWN, CLOSE, 0.015, 30),
            self._reach("carry", lambda: carried, DOWN, CLOSE, 0.015, 80),
            self._reach("set down", lambda: placed, DOWN, CLOSE, 0.01, 30),
        ]
        for stage in stages:
            stage.rest = KETTLE_POSTURE
        return stages

    def _burner(self, joint: str, site: str) -> list[Stage]:
        """Grasp the lower half of the knob's vertical bar (fingers across it) and turn it about +y.

        Low grasp and moderate turn keep the rising end of the hand under an open hinge-cabinet door.
        """
        knob = self._site(site) + np.array([0.0, -0.025, -KNOB_GRASP_DROP])
        turned = rotation(Y_AXIS, KNOB_TURN) @ FRONT
        pre_grasp = knob + np.array([0.0, -0.12, 0.0]) + self._jitter()
        return [
            self._reach("pre-grasp", lambda: pre_grasp, FRONT, OPEN),
            self._reach("grasp", lambda: knob, FRONT, OPEN, 0.02, 40),  # the bar stops the hand ~1.6 cm short
            self._hold("close", CLOSE, 6),
            Stage("turn", lambda: (knob, turned), CLOSE, lambda: self._joint(joint) < -KNOB_TURN + 0.1, 80),
        ]
