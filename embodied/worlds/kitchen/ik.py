"""Differential IK for the kitchen's Franka: end-effector pose error -> normalised joint velocity action.

Damped least squares on the 6-D site Jacobian (mujoco.mj_jacSite) of the 7 arm joints, with a null-space
pull towards a rest posture and a gravity hold term. The env's action is a joint velocity (x 2 rad/s)
held for one control step, so the joint displacement that removes the (clipped) pose error in one step
is divided by the step length and by 2.
"""

from __future__ import annotations

import mujoco
import numpy as np

ARM = 7
DAMPING = 0.03
MAX_STEP = 0.035  # metres of end-effector motion asked per 0.08 s control step
MAX_TURN = 0.15  # radians of end-effector rotation asked per control step
REST_GAIN = 0.1
LIMIT_MARGIN = 0.25  # radians before a joint limit where that joint is slowed down
VELOCITY_SCALE = 2.0  # rad/s of joint velocity for an action of 1 (FrankaRobot.act_rng)
OPEN, CLOSE = 1.0, -1.0

# End-effector site orientations (columns = site x, y, z axes in world; z is the approach direction,
# y the direction the fingers open along).
FRONT = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])  # approach +y, fingers along x
DOWN = np.array([[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])  # approach -z, fingers along y


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """3x3 rotation matrix about a unit `axis` by `angle` radians."""
    quat = np.zeros(4)
    mujoco.mju_axisAngle2Quat(quat, np.asarray(axis, dtype=np.float64), angle)
    matrix = np.zeros(9)
    mujoco.mju_quat2Mat(matrix, quat)
    return matrix.reshape(3, 3)


def orientation_error(current: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotation vector (3,) taking `current` to `target` (both 3x3, world frame)."""
    quat_current, quat_target, error = np.zeros(4), np.zeros(4), np.zeros(3)
    mujoco.mju_mat2Quat(quat_current, current.reshape(-1))
    mujoco.mju_mat2Quat(quat_target, target.reshape(-1))
    mujoco.mju_subQuat(error, quat_target, quat_current)  # in the current frame
    return current @ error


class ArmIK:
    """Pose servo for one site of the arm; `action(target_pos, target_rot, finger) -> (9,) in [-1, 1]`."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, site: str, dt: float,
                 rest: np.ndarray) -> None:
        self.model, self.data, self.dt = model, data, dt
        self.site = model.site(site).id
        self.rest = np.asarray(rest, dtype=np.float64)[:ARM]
        self._jac_pos = np.zeros((3, model.nv))
        self._jac_rot = np.zeros((3, model.nv))
        self.low, self.high = model.jnt_range[:ARM].T.copy()
        self.gains = model.actuator_gainprm[:ARM, 0].copy()  # position servo kp (N m / rad)

    @property
    def position(self) -> np.ndarray:
        return self.data.site_xpos[self.site].copy()

    @property
    def orientation(self) -> np.ndarray:
        return self.data.site_xmat[self.site].reshape(3, 3).copy()

    def _solve(self, error: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted damped least squares joint step (7,) for a 6-D pose error, plus the rest-posture pull."""
        mujoco.mj_jacSite(self.model, self.data, self._jac_pos, self._jac_rot, self.site)
        jacobian = np.vstack([self._jac_pos[:, :ARM], self._jac_rot[:, :ARM]])  # (6, 7)
        weighted = jacobian.T * weights[:, None]  # W J^T
        inverse = weighted @ np.linalg.inv(jacobian @ weighted + DAMPING**2 * np.eye(6))  # (7, 6)
        null_space = np.eye(ARM) - inverse @ jacobian
        return inverse @ error + null_space @ (REST_GAIN * weights * (self.rest - self.data.qpos[:ARM]))

    def joint_action(self, target: np.ndarray, finger: float, gain: float = 0.5) -> np.ndarray:
        """Joint-space servo towards arm angles `target` (7,): `gain` of the remaining error per step."""
        delta = gain * (np.asarray(target) - self.data.qpos[:ARM])
        return self._to_action(delta, finger)

    def action(self, target_pos: np.ndarray, target_rot: np.ndarray, finger: float,
               max_step: float = MAX_STEP) -> np.ndarray:
        """Joint velocity action moving the site towards the target pose by at most one step."""
        position_error = np.asarray(target_pos) - self.position
        distance = np.linalg.norm(position_error)
        if distance > max_step:
            position_error *= max_step / distance
        turn = orientation_error(self.orientation, target_rot)
        angle = np.linalg.norm(turn)
        if angle > MAX_TURN:
            turn *= MAX_TURN / angle
        delta = self._solve(np.concatenate([position_error, turn]), np.ones(ARM))
        joints = self.data.qpos[:ARM]
        room = np.where(delta > 0, self.high - joints, joints - self.low)  # distance to the limit ahead
        weights = np.clip(room / LIMIT_MARGIN, 0.02, 1.0)
        if weights.min() < 1.0:
            delta = self._solve(np.concatenate([position_error, turn]), weights)
        return self._to_action(delta, finger)

    def _to_action(self, delta: np.ndarray, finger: float) -> np.ndarray:
        """Action (9,) that moves the arm joints by `delta` (7,) in one control step, fingers at `finger`."""
        # The actuators are position servos anchored at the current angle (no gravity compensation):
        # holding a pose against gravity needs a velocity command of bias torque / (kp * dt).
        hold = self.data.qfrc_bias[:ARM] / self.gains
        velocity = (delta + hold) / (self.dt * VELOCITY_SCALE)
        peak = np.abs(velocity).max()
        if peak > 1.0:
            velocity /= peak  # keep the direction of motion
        return np.concatenate([velocity, [finger, finger]]).astype(np.float32)
