"""The demo's web server (FastAPI on uvicorn): the page, its local assets, one WebSocket per tab (one Session
each, capped at `max_sessions`, closed when idle), and the downloads of a session's recorded episode.

WebSocket protocol: the page sends JSON commands ({"type": "instruct", "text": ...}, "reset", "pause",
"resume", "step", "speed", "takeover", "handback", "key"); the server sends JSON events ("hello", "status",
"plan", "subgoal", "step", "log", "error", "refused", "closed") and the camera as binary JPEG messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.background import BackgroundTask

from embodied.demo.catalog import Catalog
from embodied.demo.session import DemoInputError, Session
from embodied.worlds.crafter.env import KEYS  # the page's keys until a session's world says its own

STATIC = Path(__file__).resolve().parent / "static"
MAX_QUEUED_FRAMES = 8  # a slow tab skips frames rather than queueing them without bound
log = logging.getLogger(__name__)


@dataclass
class DemoConfig:
    """`embodied demo` (experiments/conf/demo.yaml): where to listen, how many tabs, where checkpoints are."""

    host: str = "127.0.0.1"
    port: int = 8765
    max_sessions: int = 4
    idle_timeout_s: float = 600.0  # a tab that sends nothing for this long is closed
    checkpoints: list[str] = field(default_factory=lambda: ["data/runs"])
    speed: float = 15.0  # agent steps per second at the start of a session (the page changes it)
    shipped: bool = True  # offer the shipped default policies (embodied/checkpoints/); Crafter starts with its own


def create_app(config: DemoConfig) -> FastAPI:
    """The app: GET / (the page), /static/*, WS /ws, GET /download/{token}/{demo.hdf5|episode.mp4}."""
    app = FastAPI(title="embodied demo", docs_url=None, redoc_url=None, openapi_url=None)
    catalog = Catalog(list(config.checkpoints), shipped=config.shipped)
    sessions: dict[str, Session] = {}
    lock = threading.Lock()
    app.state.sessions = sessions
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/download/{token}/{name}")
    def download(token: str, name: str) -> FileResponse:
        session = sessions.get(token)
        if session is None or name not in ("demo.hdf5", "episode.mp4"):
            raise HTTPException(404, "no such session or file")
        path = _export(session, name)
        return FileResponse(path, filename=name, background=BackgroundTask(_remove, path, path + ".lock"))

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        await ws.accept()
        with lock:
            full = len(sessions) >= config.max_sessions
            token = secrets.token_urlsafe(16)
            if not full:
                sessions[token] = None  # type: ignore[assignment]  (reserved while starting)
        if full:
            await ws.send_json({"type": "refused", "message": f"the demo is full ({config.max_sessions} sessions "
                                                              "at once, max_sessions); try again later"})
            await ws.close(code=1013)
            return
        try:
            await _serve(ws, token, catalog, sessions, config)
        finally:
            with lock:
                session = sessions.pop(token, None)
            if session is not None:
                session.close()

    return app


async def _serve(ws: WebSocket, token: str, catalog: Catalog, sessions: dict[str, Session],
                 config: DemoConfig) -> None:
    """Run one tab: a sender task drains the session's outgoing queue; this coroutine reads commands."""
    loop = asyncio.get_running_loop()
    outgoing: asyncio.Queue[Any] = asyncio.Queue()
    queued_frames = [0]  # frames waiting in `outgoing`

    def push(message: Any) -> None:
        if isinstance(message, bytes):
            if queued_frames[0] >= MAX_QUEUED_FRAMES:
                return
            queued_frames[0] += 1
        outgoing.put_nowait(message)

    def post(message: Any) -> None:  # called from the session thread
        with contextlib.suppress(RuntimeError):  # the event loop is gone (server shutting down): drop it
            loop.call_soon_threadsafe(push, message)

    session = Session(token, catalog, post, config.speed)
    sessions[token] = session
    await ws.send_json({"type": "hello", "session": token, "keys": KEYS, **catalog.options()})
    session.thread.start()
    sender = asyncio.create_task(_send_all(ws, outgoing, queued_frames))
    try:
        while True:
            try:
                received = await asyncio.wait_for(ws.receive(), timeout=config.idle_timeout_s)
            except TimeoutError:
                outgoing.put_nowait({"type": "closed", "message": f"closed after {config.idle_timeout_s:g} s "
                                                                  "without input; reload the page to start again"})
                await asyncio.sleep(0.2)
                await ws.close(code=1000)
                return
            if received["type"] == "websocket.disconnect":
                return
            try:
                message = json.loads(received.get("text") or "null")
                if not isinstance(message, dict):
                    raise DemoInputError("a command is a JSON object with a \"type\"")
                session.handle(message)
            except (DemoInputError, ValueError) as error:
                outgoing.put_nowait({"type": "error", "message": str(error).splitlines()[0]})
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()


async def _send_all(ws: WebSocket, outgoing: asyncio.Queue[Any], queued_frames: list[int]) -> None:
    try:
        while True:
            message = await outgoing.get()
            if isinstance(message, bytes):
                queued_frames[0] -= 1
                await ws.send_bytes(message)
            else:
                await ws.send_text(json.dumps(message))
    except (WebSocketDisconnect, RuntimeError):
        pass  # the tab went away; the receiving side cleans up


def _remove(*paths: str) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _export(session: Session, name: str) -> str:
    """Write the session's take-over demonstrations (HDF5) or its episode frames (mp4) to a temporary file."""
    from embodied.collection import dataset_env_args

    handle, path = tempfile.mkstemp(suffix=os.path.splitext(name)[1], prefix="embodied-demo-")
    os.close(handle)
    if name == "episode.mp4":
        if not session.recorder.frames:
            os.remove(path)
            raise HTTPException(409, "no frames yet: run an instruction first")
        return session.recorder.write_mp4(path)
    session.recorder.close_segment(session.instruction, session.choice.seed, None)  # a take over still going on
    if not session.recorder.episodes:
        os.remove(path)
        raise HTTPException(409, "no demonstration yet: take over, drive a few steps, then hand back")
    os.remove(path)  # DatasetWriter creates the file
    env_args = dataset_env_args(session.spec_name, session.env, session.env_kwargs)
    session.recorder.write_hdf5(path, env_args, tuple(session.env.goal_texts))
    return path


def serve(config: DemoConfig) -> None:
    """Run the server until interrupted."""
    import uvicorn

    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning", ws_max_size=1 << 20)
