"""Writing episode videos (mp4 through imageio's bundled ffmpeg; GIF when the path ends in .gif)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import imageio.v2 as imageio
import numpy as np

from embodied.overlay import upscale


def write_video(path: str | os.PathLike, frames: Sequence[np.ndarray], fps: int = 10, min_size: int = 256) -> str:
    """Write (H, W, 3) uint8 frames; small frames are upscaled (nearest) to at least `min_size` pixels.
    Captioned videos pass `embodied.overlay.captioned(frames, captions)` (FrameRecorder.video_frames())."""
    if not frames:
        raise ValueError(f"{path}: no frames to write")
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    scaled = [upscale(f, min_size) for f in frames]
    if path.endswith(".gif"):
        imageio.mimsave(path, scaled, duration=1000 / fps, loop=0)
    else:
        with imageio.get_writer(path, fps=fps, codec="libx264", macro_block_size=8, quality=7) as writer:
            for frame in scaled:
                writer.append_data(frame)
    return path
