"""The Minetest engine process: a virtual X display (Xvfb), the real client in singleplayer with the
embodied bridge mod, and the file channel to the mod (cmd.json in, state.json out, one reply per command).

The player is moved by the mod, not by the client's physics, so the state is lock-step with the commands;
only the pixels are rendered in real time: `grab` waits until the frame stops changing (README: non-determinism).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from embodied.registry import MissingDependencyError

FRAME_SECONDS = 1 / 60  # the client's fps_max
MOD = Path(__file__).parent / "mod" / "embodied"
CLIENT_CONF = """screen_w = {width}
screen_h = {height}
fullscreen = false
enable_sound = false
pause_on_lost_focus = false
enable_clouds = false
viewing_range = 60
fps_max = 60
fps_max_unfocused = 60
show_debug = false
enable_minimap = false
dedicated_server_step = 0.01
time_speed = 0
world_start_time = 12000
server_map_save_interval = 100000
menu_clouds = false
port = {port}
enable_damage = false
creative_mode = false
keymap_toggle_chat = KEY_F2
view_bobbing_amount = 0
enable_waving_leaves = false
enable_waving_plants = false
enable_waving_water = false
hud_scaling = 0.5
gui_scaling = 0.6
show_nametags = false
"""
WORLD_MT = "gameid = minetest_game\nbackend = sqlite3\nplayer_backend = sqlite3\nauth_backend = sqlite3\n"
MAP_META = "mg_name = singlenode\nseed = 1\n[end_of_params]\n"


class MinetestError(RuntimeError):
    """The Minetest process failed to start or stopped answering."""


def find_binary() -> str:
    """Path of the `minetest` client; MissingDependencyError naming the Debian packages otherwise."""
    for candidate in (shutil.which("minetest"), "/usr/games/minetest"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise MissingDependencyError("the minetest world needs the Minetest client and Xvfb: "
                                 "`apt-get install -y minetest minetest-server xvfb xdotool`")


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG), even on SIGKILL."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)


def _stop(processes: list[subprocess.Popen], root: Path) -> None:
    """Terminate the client and Xvfb (client first), remove the temporary folder."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    shutil.rmtree(root, ignore_errors=True)


class MinetestProcess:
    """One Xvfb + one Minetest client; `command(op=...)` returns the mod's state reply (a dict)."""

    def __init__(self, width: int = 256, height: int = 160, frame_wait: float = 0.03,
                 settle_timeout: float = 0.5, start_timeout: float = 90.0) -> None:
        self.width, self.height, self.frame_wait, self.settle_timeout = width, height, frame_wait, settle_timeout
        self.unsettled = 0  # frames returned before they stopped changing (see grab)
        self.root = Path(tempfile.mkdtemp(prefix="embodied-minetest-"))
        self.world = self.root / "world"
        self.seq = 0
        self._processes: list[subprocess.Popen] = []  # client first, then Xvfb
        self._client: subprocess.Popen | None = None
        # an env never closed (a collect worker, an interrupted test) still stops its processes at exit
        self._finalizer = weakref.finalize(self, _stop, self._processes, self.root)
        try:
            self._start(find_binary(), start_timeout)
        except BaseException:
            self.close()
            raise

    def _start(self, binary: str, timeout: float) -> None:
        if shutil.which("Xvfb") is None:
            raise MissingDependencyError("the minetest world needs Xvfb: `apt-get install -y xvfb`")
        (self.world / "worldmods").mkdir(parents=True)
        shutil.copytree(MOD, self.world / "worldmods" / MOD.name)
        (self.world / "world.mt").write_text(WORLD_MT)
        (self.world / "map_meta.txt").write_text(MAP_META)
        conf = self.root / "minetest.conf"
        port = _free_port()  # singleplayer still serves on a UDP port: one per client, so several run at once
        conf.write_text(CLIENT_CONF.format(width=self.width, height=self.height, port=port))
        read, write = os.pipe()
        self._processes.append(subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{self.width}x{self.height}x24", "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent))
        os.close(write)
        with os.fdopen(read) as pipe:
            self.display = ":" + pipe.readline().strip()
        env = dict(os.environ, DISPLAY=self.display, HOME=str(self.root), LIBGL_ALWAYS_SOFTWARE="1")
        self._log = open(self.root / "client.log", "wb")  # noqa: SIM115 (closed in close())
        self._client = subprocess.Popen(
            [binary, "--go", "--world", str(self.world), "--config", str(conf), "--name", "agent", "--port", str(port)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.root, preexec_fn=_die_with_parent)
        self._processes.insert(0, self._client)
        deadline = time.monotonic() + timeout
        while not (self.world / "recipes.json").exists():
            self._check_alive()
            if time.monotonic() > deadline:
                raise MinetestError(f"minetest did not join its world within {timeout:.0f} s; see {self.root}")
            time.sleep(0.1)
        self._hide_chat(env)

    def _hide_chat(self, env: dict[str, str]) -> None:
        """F2 hides the chat console (join messages would sit over the frame); needs xdotool, else kept."""
        if shutil.which("xdotool"):
            time.sleep(0.5)
            subprocess.run(["xdotool", "search", "--sync", "--name", "Minetest", "windowfocus", "--sync",
                            "key", "F2"], env=env, timeout=10, capture_output=True, check=False)
            time.sleep(2.0)  # the "Chat hidden" status line fades out

    @property
    def recipes(self) -> dict[str, Any]:
        """The engine's craft recipes for the items the world uses (dumped by the mod when the player joins)."""
        return json.loads((self.world / "recipes.json").read_text())

    def command(self, timeout: float = 30.0, **fields: Any) -> dict[str, Any]:
        """Send one command to the mod and wait for its reply."""
        self.seq += 1
        payload = json.dumps({"seq": self.seq, **fields})
        tmp = self.world / "cmd.json.tmp"
        tmp.write_text(payload)
        os.replace(tmp, self.world / "cmd.json")
        deadline = time.monotonic() + timeout
        reply = self.world / "state.json"
        while True:
            try:
                state = json.loads(reply.read_text())
                if state.get("seq") == self.seq:
                    return state
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            self._check_alive()
            if time.monotonic() > deadline:
                raise MinetestError(f"minetest gave no reply to {fields.get('op')!r} within {timeout:.0f} s")
            time.sleep(0.002)

    def grab(self) -> np.ndarray:
        """The client's frame once it has settled, (H, W, 3) uint8: `frame_wait` seconds after the last reply,
        then until two grabs one frame apart are equal (at most `settle_timeout` seconds)."""
        from PIL import ImageGrab

        time.sleep(self.frame_wait)
        deadline = time.monotonic() + self.settle_timeout
        frame = np.asarray(ImageGrab.grab(xdisplay=self.display).convert("RGB"), dtype=np.uint8)
        while self.settle_timeout > 0:
            time.sleep(FRAME_SECONDS)
            again = np.asarray(ImageGrab.grab(xdisplay=self.display).convert("RGB"), dtype=np.uint8)
            if np.array_equal(again, frame):
                break
            frame = again
            if time.monotonic() > deadline:
                self.unsettled += 1
                break
        if frame.shape[:2] != (self.height, self.width):
            from PIL import Image

            frame = np.asarray(Image.fromarray(frame).resize((self.width, self.height)))
        return frame

    def _check_alive(self) -> None:
        if self._client is not None and self._client.poll() is not None:
            tail = (self.root / "client.log").read_text(errors="replace")[-600:]
            raise MinetestError(f"minetest exited with code {self._client.returncode}: {tail}")

    def close(self) -> None:
        self._finalizer()
        self._client = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
