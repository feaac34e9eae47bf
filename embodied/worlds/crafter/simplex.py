"""OpenSimplex 3D noise (opensimplex 0.4.5.1, the version crafter uses) over whole arrays, bit for bit.

opensimplex's own `noise3array` is a loop over its scalar `noise3` (compiled only when numba is installed,
pure Python otherwise), so it is no faster here. This port splits the work in two:

- `lattice(x, y, z)`: everything that depends on the coordinates only: which simplex a point falls in, the
  up to 8 lattice vertices that contribute to it, in the order the scalar code adds them, their offsets and
  their falloff. Computed once per set of points (crafter's grid is the same for every seed).
- `noise3(lattice, gradients)`: the per-seed part: hash each vertex to a gradient and add the contributions.

Every float operation is the one the scalar code performs, in the same order (e.g. `dx0 - 1 - SQUISH` and
`(dx0 - 2 * SQUISH) - 2` are kept apart), so the values are identical, not merely close; a vertex the scalar
code skips (falloff <= 0) adds a zero here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import opensimplex
from opensimplex.constants import GRADIENTS3, NORM_CONSTANT3, SQUISH_CONSTANT3, STRETCH_CONSTANT3

SQUISH = SQUISH_CONSTANT3
SLOTS = 8  # the octahedron region has 6 vertices + 2 extra ones; the tetrahedra 4 + 2 (and 2 empty slots)


@dataclass(frozen=True)
class Lattice:
    """The seed-independent part of noise3 at N points, one row per contribution slot (K = 8)."""

    xy_hash_index: np.ndarray  # (K, N) uint16: (x & 255) * 256 + (y & 255) of the vertex
    z_byte: np.ndarray  # (K, N) uint8: z & 255 of the vertex
    delta: np.ndarray  # (3, K, N) float64: point minus vertex, in the skewed frame
    falloff: np.ndarray  # (K, N) float64: attn ** 4 where attn > 0, else 0


@dataclass(frozen=True)
class Gradients:
    """The per-seed part: opensimplex's permutation folded into lookup tables."""

    xy_hash: np.ndarray  # (65536,) uint8: perm[(perm[x] + y) & 255]
    gradient: np.ndarray  # (3, 256) float64: GRADIENTS3 vector picked by perm_grad_index3[h]

    @classmethod
    def from_seed(cls, seed: int) -> Gradients:
        """The tables of `opensimplex.OpenSimplex(seed)` (the permutation is opensimplex's own)."""
        generator = opensimplex.OpenSimplex(seed)
        perm, grad_index = generator._perm, generator._perm_grad_index3
        xy_hash = perm[(perm[:, None] + np.arange(256)[None, :]) & 0xFF].astype(np.uint8).reshape(-1)
        gradient = np.stack([GRADIENTS3[grad_index + axis] for axis in range(3)]).astype(np.float64)
        return cls(xy_hash=xy_hash, gradient=gradient)


def noise3(points: Lattice, gradients: Gradients) -> np.ndarray:
    """(N,) float64: `OpenSimplex(seed).noise3(x, y, z)` at every point of `points`."""
    hashed = np.take(gradients.xy_hash, points.xy_hash_index) + points.z_byte  # uint8 wraps: the `& 0xFF`
    gx, gy, gz = (np.take(component, hashed) for component in gradients.gradient)
    dx, dy, dz = points.delta
    contributions = points.falloff * (gx * dx + gy * dy + gz * dz)
    value = contributions[0]
    for slot in range(1, SLOTS):
        value = value + contributions[slot]
    return value / NORM_CONSTANT3


def lattice(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> Lattice:
    """Precompute noise3 at the points (x[i], y[i], z[i]) (float arrays of one shape (N,))."""
    stretch = (x + y + z) * STRETCH_CONSTANT3
    xs, ys, zs = x + stretch, y + stretch, z + stretch
    xsb, ysb, zsb = np.floor(xs), np.floor(ys), np.floor(zs)
    squish = (xsb + ysb + zsb) * SQUISH
    origin = (x - (xsb + squish), y - (ysb + squish), z - (zsb + squish))
    inside = (xs - xsb, ys - ysb, zs - zsb)
    in_sum = inside[0] + inside[1] + inside[2]
    lower, upper = in_sum <= 1, in_sum >= 2
    slots = [
        _where(lower, low, _where(upper, high, middle))
        for low, high, middle in zip(
            _lower_tetrahedron(inside, in_sum, origin),
            _upper_tetrahedron(inside, in_sum, origin),
            _octahedron(inside, origin),
            strict=True,
        )
    ]
    base = [xsb.astype(np.int64), ysb.astype(np.int64), zsb.astype(np.int64)]
    vertex = [np.stack([base[axis] + slot[axis] for slot in slots]) & 0xFF for axis in range(3)]
    delta = np.stack([np.stack([slot[3 + axis] for slot in slots]) for axis in range(3)])
    attn = 2 - delta[0] * delta[0] - delta[1] * delta[1] - delta[2] * delta[2]
    squared = attn * attn
    return Lattice(
        xy_hash_index=(vertex[0] * 256 + vertex[1]).astype(np.uint16),
        z_byte=vertex[2].astype(np.uint8),
        delta=delta,
        falloff=np.where(attn > 0, squared * squared, 0.0),
    )


# A vertex: (x offset, y offset, z offset, dx, dy, dz); offsets relative to the super-cell origin.
def _where(condition, when_true, when_false):
    return tuple(np.where(condition, a, b) for a, b in zip(when_true, when_false, strict=True))


_EMPTY = (0, 0, 0, 2.0, 0.0, 0.0)  # falloff 2 - 4 < 0: contributes nothing


def _lower_tetrahedron(inside, in_sum, origin):
    """Points with in_sum <= 1: vertices (0,0,0), (1,0,0), (0,1,0), (0,0,1), then two extra ones."""
    xins, yins, zins = inside
    dx0, dy0, dz0 = origin
    b_is_z = (xins >= yins) & (zins > yins)
    a_is_z = ~b_is_z & (xins < yins) & (zins > xins)
    a_score, a_point = np.where(a_is_z, zins, xins), np.where(a_is_z, 4, 1)
    b_score, b_point = np.where(b_is_z, zins, yins), np.where(b_is_z, 4, 2)
    wins = 1 - in_sum
    origin_is_close = (wins > a_score) | (wins > b_score)
    closest = np.where(b_score > a_score, b_point, a_point)
    extras = [
        _where(origin_is_close, near, far)
        for near, far in zip(_lower_extras_origin_close(closest, origin),
                             _lower_extras_origin_far(a_point | b_point, origin), strict=True)
    ]
    dz1 = dz0 - 0 - SQUISH
    dx2, dy1 = dx0 - 0 - SQUISH, dy0 - 0 - SQUISH
    return [
        (0, 0, 0, dx0, dy0, dz0),
        (1, 0, 0, dx0 - 1 - SQUISH, dy1, dz1),
        (0, 1, 0, dx2, dy0 - 1 - SQUISH, dz1),
        (0, 0, 1, dx2, dy1, dz0 - 1 - SQUISH),
        *extras, _EMPTY, _EMPTY,
    ]


def _lower_extras_origin_close(c, origin):
    dx0, dy0, dz0 = origin
    x_clear, y_clear, z_clear = (c & 1) == 0, (c & 2) == 0, (c & 4) == 0
    first = (
        np.where(x_clear, -1, 1), np.where(y_clear, np.where(x_clear, 0, -1), 1), np.where(z_clear, 0, 1),
        np.where(x_clear, dx0 + 1, dx0 - 1), np.where(y_clear, np.where(x_clear, dy0, dy0 + 1), dy0 - 1),
        np.where(z_clear, dz0, dz0 - 1),
    )
    second = (
        np.where(x_clear, 0, 1), np.where(y_clear, np.where(x_clear, -1, 0), 1), np.where(z_clear, -1, 1),
        np.where(x_clear, dx0, dx0 - 1), np.where(y_clear, np.where(x_clear, dy0 + 1, dy0), dy0 - 1),
        np.where(z_clear, dz0 + 1, dz0 - 1),
    )
    return first, second


def _lower_extras_origin_far(c, origin):
    clear = [(c & bit) == 0 for bit in (1, 2, 4)]
    first = tuple(np.where(free, 0, 1) for free in clear) + tuple(
        np.where(free, d0 - 2 * SQUISH, d0 - 1 - 2 * SQUISH) for free, d0 in zip(clear, origin, strict=True))
    second = tuple(np.where(free, -1, 1) for free in clear) + tuple(
        np.where(free, d0 + 1 - SQUISH, d0 - 1 - SQUISH) for free, d0 in zip(clear, origin, strict=True))
    return first, second


def _upper_tetrahedron(inside, in_sum, origin):
    """Points with in_sum >= 2: vertices (1,1,0), (1,0,1), (0,1,1), (1,1,1), then two extra ones."""
    xins, yins, zins = inside
    dx0, dy0, dz0 = origin
    b_is_z = (xins <= yins) & (zins < yins)
    a_is_z = ~b_is_z & (xins > yins) & (zins < xins)
    a_score, a_point = np.where(a_is_z, zins, xins), np.where(a_is_z, 3, 6)
    b_score, b_point = np.where(b_is_z, zins, yins), np.where(b_is_z, 3, 5)
    wins = 3 - in_sum
    corner_is_close = (wins < a_score) | (wins < b_score)
    closest = np.where(b_score < a_score, b_point, a_point)
    extras = [
        _where(corner_is_close, near, far)
        for near, far in zip(_upper_extras_corner_close(closest, origin),
                             _upper_extras_corner_far(a_point & b_point, origin), strict=True)
    ]
    dx3, dy3 = dx0 - 1 - 2 * SQUISH, dy0 - 1 - 2 * SQUISH
    dz2 = dz0 - 1 - 2 * SQUISH
    return [
        (1, 1, 0, dx3, dy3, dz0 - 0 - 2 * SQUISH),
        (1, 0, 1, dx3, dy0 - 0 - 2 * SQUISH, dz2),
        (0, 1, 1, dx0 - 0 - 2 * SQUISH, dy3, dz2),
        (1, 1, 1, dx0 - 1 - 3 * SQUISH, dy0 - 1 - 3 * SQUISH, dz0 - 1 - 3 * SQUISH),
        *extras, _EMPTY, _EMPTY,
    ]


def _upper_extras_corner_close(c, origin):
    dx0, dy0, dz0 = origin
    x_set, y_set, z_set = (c & 1) != 0, (c & 2) != 0, (c & 4) != 0
    dy_base = dy0 - 1 - 3 * SQUISH
    first = (
        np.where(x_set, 2, 0), np.where(y_set, np.where(x_set, 1, 2), 0), np.where(z_set, 1, 0),
        np.where(x_set, dx0 - 2 - 3 * SQUISH, dx0 - 3 * SQUISH),
        np.where(y_set, np.where(x_set, dy_base, dy_base - 1), dy0 - 3 * SQUISH),
        np.where(z_set, dz0 - 1 - 3 * SQUISH, dz0 - 3 * SQUISH),
    )
    second = (
        np.where(x_set, 1, 0), np.where(y_set, np.where(x_set, 2, 1), 0), np.where(z_set, 2, 0),
        np.where(x_set, dx0 - 1 - 3 * SQUISH, dx0 - 3 * SQUISH),
        np.where(y_set, np.where(x_set, dy_base - 1, dy_base), dy0 - 3 * SQUISH),
        np.where(z_set, dz0 - 2 - 3 * SQUISH, dz0 - 3 * SQUISH),
    )
    return first, second


def _upper_extras_corner_far(c, origin):
    is_set = [(c & bit) != 0 for bit in (1, 2, 4)]
    first = tuple(np.where(on, 1, 0) for on in is_set) + tuple(
        np.where(on, d0 - 1 - SQUISH, d0 - SQUISH) for on, d0 in zip(is_set, origin, strict=True))
    second = tuple(np.where(on, 2, 0) for on in is_set) + tuple(
        np.where(on, d0 - 2 - 2 * SQUISH, d0 - 2 * SQUISH) for on, d0 in zip(is_set, origin, strict=True))
    return first, second


def _octahedron(inside, origin):
    """Points in between: vertices (1,0,0), (0,1,0), (0,0,1), (1,1,0), (1,0,1), (0,1,1), then two extra ones."""
    xins, yins, zins = inside
    dx0, dy0, dz0 = origin
    p1, p2, p3 = xins + yins, xins + zins, yins + zins
    a_far, b_far, p3_far = p1 > 1, p2 > 1, p3 > 1
    a_score, a_point = np.where(a_far, p1 - 1, 1 - p1), np.where(a_far, 3, 4)
    b_score, b_point = np.where(b_far, p2 - 1, 1 - p2), np.where(b_far, 5, 2)
    score = np.where(p3_far, p3 - 1, 1 - p3)
    replace_a = (a_score <= b_score) & (a_score < score)
    replace_b = ~replace_a & (a_score > b_score) & (b_score < score)
    a_point, a_far = np.where(replace_a, np.where(p3_far, 6, 1), a_point), np.where(replace_a, p3_far, a_far)
    b_point, b_far = np.where(replace_b, np.where(p3_far, 6, 1), b_point), np.where(replace_b, p3_far, b_far)

    both_far = (
        (1, 1, 1, dx0 - 1 - 3 * SQUISH, dy0 - 1 - 3 * SQUISH, dz0 - 1 - 3 * SQUISH),
        _octahedron_double_step(a_point & b_point, origin),
    )
    both_near = ((0, 0, 0, dx0, dy0, dz0), _octahedron_opposite(a_point | b_point, origin))
    further, nearer = np.where(a_far, a_point, b_point), np.where(a_far, b_point, a_point)
    mixed = (_octahedron_opposite(further, origin), _octahedron_shifted_step(nearer, origin))
    same_side = a_far == b_far
    extras = [
        _where(same_side, _where(a_far, far, near), split)
        for far, near, split in zip(both_far, both_near, mixed, strict=True)
    ]
    dx1, dy1, dz1 = dx0 - 1 - SQUISH, dy0 - 0 - SQUISH, dz0 - 0 - SQUISH
    dx2 = dx0 - 0 - SQUISH
    dx4, dy4 = dx0 - 1 - 2 * SQUISH, dy0 - 1 - 2 * SQUISH
    dz5 = dz0 - 1 - 2 * SQUISH
    return [
        (1, 0, 0, dx1, dy1, dz1),
        (0, 1, 0, dx2, dy0 - 1 - SQUISH, dz1),
        (0, 0, 1, dx2, dy1, dz0 - 1 - SQUISH),
        (1, 1, 0, dx4, dy4, dz0 - 0 - 2 * SQUISH),
        (1, 0, 1, dx4, dy0 - 0 - 2 * SQUISH, dz5),
        (0, 1, 1, dx0 - 0 - 2 * SQUISH, dy4, dz5),
        *extras,
    ]


def _octahedron_opposite(c, origin):
    """A permutation of (1,1,-1): -1 on the first axis whose bit is clear in `c`."""
    dx0, dy0, dz0 = origin
    no_x, no_y = (c & 1) == 0, (c & 2) == 0
    minus_x = (-1, 1, 1, dx0 + 1 - SQUISH, dy0 - 1 - SQUISH, dz0 - 1 - SQUISH)
    minus_y = (1, -1, 1, dx0 - 1 - SQUISH, dy0 + 1 - SQUISH, dz0 - 1 - SQUISH)
    minus_z = (1, 1, -1, dx0 - 1 - SQUISH, dy0 - 1 - SQUISH, dz0 + 1 - SQUISH)
    return _where(no_x, minus_x, _where(no_y, minus_y, minus_z))


def _octahedron_double_step(c, origin):
    """A permutation of (2,0,0), on the first axis whose bit is set in `c` (both points on the far side)."""
    dx0, dy0, dz0 = origin
    on_x, on_y = (c & 1) != 0, (c & 2) != 0
    step_x = (2, 0, 0, dx0 - 2 - 2 * SQUISH, dy0 - 2 * SQUISH, dz0 - 2 * SQUISH)
    step_y = (0, 2, 0, dx0 - 2 * SQUISH, dy0 - 2 - 2 * SQUISH, dz0 - 2 * SQUISH)
    step_z = (0, 0, 2, dx0 - 2 * SQUISH, dy0 - 2 * SQUISH, dz0 - 2 - 2 * SQUISH)
    return _where(on_x, step_x, _where(on_y, step_y, step_z))


def _octahedron_shifted_step(c, origin):
    """The same permutation of (2,0,0) when the points straddle, its offsets rounded as `(d - 2 * SQUISH) - 2`."""
    dx0, dy0, dz0 = origin
    bx, by, bz = dx0 - 2 * SQUISH, dy0 - 2 * SQUISH, dz0 - 2 * SQUISH
    on_x, on_y = (c & 1) != 0, (c & 2) != 0
    return _where(on_x, (2, 0, 0, bx - 2, by, bz), _where(on_y, (0, 2, 0, bx, by - 2, bz), (0, 0, 2, bx, by, bz - 2)))
