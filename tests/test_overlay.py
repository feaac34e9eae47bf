"""The caption strip of episode videos (embodied/overlay.py): a real Crafter episode recorded by the
FrameRecorder hook and through the real `embodied collect ... video=` CLI; the strip is drawn below the
unchanged frame, and its text changes with the subgoal and its status."""

from __future__ import annotations

import subprocess
import sys

import imageio.v2 as imageio
import numpy as np
import pytest

from embodied.agent import Agent, AgentConfig
from embodied.hooks import FrameRecorder
from embodied.overlay import BAND_HEIGHT, LINE, Caption, captioned, overlay, upscale
from embodied.registry import make_planner, world

INSTRUCTION = "make a wood pickaxe"  # collect 3 wood -> place table -> make wood pickaxe


@pytest.fixture(scope="module")
def recorded() -> FrameRecorder:
    spec = world("crafter")
    env = spec.make_env()
    recorder = FrameRecorder()
    agent = Agent(env, make_planner("symbolic", "crafter"), spec.make_expert(env, noise=0.0, seed=0),
                  AgentConfig(max_replans=0), hooks=[recorder])
    trajectory = agent.run(INSTRUCTION, seed=0)
    assert trajectory.success and len(recorder.frames) == len(trajectory.actions) + 1
    return recorder


def rows(band: np.ndarray, line: int, lines: int = 1) -> np.ndarray:
    """Text lines `line` .. `line + lines - 1` of a strip (0, 1: the instruction; 2: status; 3: the subgoal)."""
    return band[3 + line * LINE: 3 + (line + lines) * LINE]


def test_the_strip_is_drawn_below_the_unchanged_frame(recorded):
    frames = recorded.video_frames()
    raw = upscale(recorded.frames[1], 256)
    drawn = frames[1]
    assert drawn.shape == (256 + BAND_HEIGHT, 256, 3) and drawn.shape[0] % 8 == 0
    assert np.array_equal(drawn[:256], raw)  # the camera is not covered
    band = drawn[256:]
    bright = (band.min(axis=2) > 200).sum()  # white text pixels (the background is near black)
    assert bright > 200, "the strip has text"
    assert not np.array_equal(band, raw[-BAND_HEIGHT:]), "the band differs from the raw frame"
    assert recorded.captions[1] == Caption(INSTRUCTION, "collect 3 wood", "running", 1, 3)


def test_the_text_changes_with_the_subgoal_and_its_status(recorded):
    captions = recorded.captions
    first = captions.index(Caption(INSTRUCTION, "collect 3 wood", "running", 1, 3))
    done = captions.index(Caption(INSTRUCTION, "collect 3 wood", "done", 1, 3))
    last = len(captions) - 1
    assert captions[last] == Caption(INSTRUCTION, "make wood pickaxe", "done", 3, 3)
    assert [c.status for c in captions].count("done") == 3  # each subgoal's last frame says done
    band = {i: overlay(recorded.frames[i], captions[i])[256:] for i in (first, done, last)}
    assert np.array_equal(rows(band[first], 0, 2), rows(band[last], 0, 2))  # the same instruction
    assert not np.array_equal(rows(band[first], 3), rows(band[last], 3))  # another subgoal's text
    assert np.array_equal(rows(band[first], 3), rows(band[done], 3))  # same subgoal ...
    assert not np.array_equal(rows(band[first], 2), rows(band[done], 2))  # ... running -> done
    held = captioned(recorded.frames, captions, hold=4)
    assert len(held) == len(captions) + 3 * 4  # an outcome stays on screen 5 frames


def test_long_texts_are_cut_to_the_strip():
    caption = Caption("put the red block on the blue block and then " * 5, "place the red block on the blue "
                      "block in the right region please", "failed", 12, 14)
    drawn = overlay(np.zeros((96, 96, 3), np.uint8), caption)
    assert drawn.shape == (288 + BAND_HEIGHT, 288, 3)


@pytest.mark.slow
def test_collect_video_through_the_cli_has_the_strip(tmp_path):
    video = tmp_path / "first.mp4"
    result = subprocess.run([sys.executable, "-m", "embodied.cli.main", "collect", "env=crafter", "episodes=1",
                             f"instruction={INSTRUCTION}", f"out={tmp_path / 'x.hdf5'}", f"video={video}"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    frames = [np.asarray(f) for f in imageio.mimread(video, memtest=False)]
    assert frames[0].shape == (256 + BAND_HEIGHT, 256, 3)
    env = world("crafter").make_env()
    env.reset(seed=0)
    start = upscale(env.render(), 256).astype(float)
    assert np.abs(frames[0][:256] - start).mean() < 8  # the camera (mp4 is lossy)
    bands = [f[256:].astype(float) for f in frames]
    assert all(np.abs(b - np.mean(b)).mean() > 5 for b in bands), "every frame has text in its strip"
    assert np.abs(rows(bands[1], 3) - rows(bands[-1], 3)).mean() > 5  # collect 3 wood -> make wood pickaxe
