"""The caption strip of episode videos: the instruction and the current subgoal with its status, drawn in a
band below the (upscaled) frame. One function, `captioned`, used by every video the platform writes
(`embodied collect / eval / run video=...` through `embodied.hooks.FrameRecorder`, and the web demo's mp4)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

STATUSES = ("pending", "running", "done", "failed")
STATUS_COLOURS = {"pending": (170, 170, 170), "running": (255, 200, 60), "done": (90, 215, 90),
                  "failed": (245, 85, 85)}
BACKGROUND = (22, 22, 28)
TEXT = (240, 240, 240)
FONT_SIZE = 13
LINE = 16  # pixels per text line
BAND_HEIGHT = 4 * LINE + 8  # instruction (2 lines), subgoal status, subgoal text; a multiple of 8 (mp4 blocks)


@dataclass(frozen=True)
class Caption:
    """What a frame's strip says: the instruction, the current subgoal, its status and place in the plan."""

    instruction: str = ""
    subgoal: str = ""
    status: str = "pending"  # one of STATUSES
    index: int = 0  # position of the subgoal in its plan, from 1; 0 while there is no plan yet
    total: int = 0  # subgoals in the plan


def upscale(frame: np.ndarray, min_size: int) -> np.ndarray:
    """`frame` repeated (nearest neighbour) to at least `min_size` pixels high."""
    scale = max(1, -(-min_size // frame.shape[0]))
    return np.ascontiguousarray(np.repeat(np.repeat(frame, scale, 0), scale, 1)) if scale > 1 else frame


def overlay(frame: np.ndarray, caption: Caption, min_size: int = 256) -> np.ndarray:
    """The (H, W, 3) uint8 `frame` upscaled to at least `min_size` pixels high, with the caption's band below."""
    frame = upscale(np.asarray(frame, np.uint8), min_size)
    return np.concatenate([frame, _band(caption, frame.shape[1])], axis=0)


def captioned(frames: Sequence[np.ndarray], captions: Sequence[Caption], hold: int = 4,
              min_size: int = 256) -> list[np.ndarray]:
    """`overlay` of every frame with its caption; a frame whose subgoal just ended (done / failed) is shown
    `hold` more times, so the outcome stays readable in the video."""
    if len(frames) != len(captions):
        raise ValueError(f"{len(frames)} frames but {len(captions)} captions")
    out = []
    for frame, caption in zip(frames, captions, strict=True):
        drawn = overlay(frame, caption, min_size)
        out.extend([drawn] * (1 + (hold if caption.status in ("done", "failed") else 0)))
    return out


@functools.lru_cache(maxsize=1)
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=FONT_SIZE)  # Pillow's bundled scalable font (needs FreeType)
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()


def _fit(text: str, width: float, lines: int) -> list[str]:
    """`text` wrapped at words into at most `lines` lines of `width` pixels; an ellipsis marks a cut."""
    font, out, words = _font(), [], text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words or (out and font.getlength(out[-1]) > width):
        last = out[-1]
        while last and font.getlength(last + "...") > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "..."
    return out


@functools.lru_cache(maxsize=256)
def _band(caption: Caption, width: int) -> np.ndarray:
    """The strip for `caption`, `width` pixels wide (cached: a video has few distinct captions)."""
    band = Image.new("RGB", (width, BAND_HEIGHT), BACKGROUND)
    draw, font, room = ImageDraw.Draw(band), _font(), width - 10
    y = 3
    for line in _fit(f"instruction: {caption.instruction or '-'}", room, 2):
        draw.text((5, y), line, fill=TEXT, font=font)
        y += LINE
    y = 3 + 2 * LINE
    where = f"subgoal {caption.index}/{caption.total}" if caption.total else "subgoal"
    colour = STATUS_COLOURS.get(caption.status, TEXT)
    draw.rectangle((5, y + 2, 15, y + 12), fill=colour)
    draw.text((20, y), f"{caption.status.upper()}   {where}", fill=colour, font=font)
    text = caption.subgoal or ("(planning)" if not caption.total else "(nothing to do)")
    draw.text((5, y + LINE), _fit(text, room, 1)[0], fill=TEXT, font=font)
    return np.asarray(band, np.uint8)
