"""A real demo server on a free loopback port (uvicorn in a thread) and a WebSocket client for the tests."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the demo extra is not installed: pip install -e '.[demo]'")
pytest.importorskip("uvicorn", reason="the demo extra is not installed: pip install -e '.[demo]'")
websockets_sync = pytest.importorskip("websockets.sync.client", reason="websockets (uvicorn's client) is missing")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_server(**config: Any) -> Iterator[str]:
    """Serve `create_app(DemoConfig(**config))` on 127.0.0.1; yields the base URL (http://127.0.0.1:PORT)."""
    import uvicorn

    from embodied.demo.server import DemoConfig, create_app

    port = free_port()
    config.setdefault("checkpoints", [])
    config.setdefault("shipped", False)  # the scripted expert drives unless a test asks for the shipped policies
    server = uvicorn.Server(uvicorn.Config(create_app(DemoConfig(port=port, **config)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the demo server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class Client:
    """One tab's WebSocket: send commands, read events until a predicate holds; counts the frames."""

    def __init__(self, url: str) -> None:
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(websockets_sync.connect(url.replace("http://", "ws://") + "/ws",
                                                                    max_size=1 << 22))
        self.frames = 0
        self.events: list[dict[str, Any]] = []
        self.hello = self.until(lambda e: e["type"] in ("hello", "refused"))

    def send(self, **command: Any) -> None:
        self.ws.send(json.dumps(command))

    def until(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60.0) -> dict[str, Any]:
        """The first event (from now) for which `predicate` holds; fails after `timeout` seconds."""
        deadline = time.time() + timeout
        while True:
            remaining = deadline - time.time()
            assert remaining > 0, f"no matching event in {timeout} s; last events: {self.events[-5:]}"
            try:
                message = self.ws.recv(timeout=remaining)
            except TimeoutError:
                raise AssertionError(f"no matching event in {timeout} s; last events: {self.events[-8:]}") from None
            if isinstance(message, bytes):
                assert message[:2] == b"\xff\xd8", "a frame is a JPEG"
                self.frames += 1
                continue
            event = json.loads(message)
            self.events.append(event)
            if predicate(event):
                return event

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def demo() -> Iterator[Callable[..., Any]]:
    """`demo(**config)` starts a server and returns its URL; `demo.client(url)` opens a tab (all closed after)."""
    stack = contextlib.ExitStack()
    clients: list[Client] = []

    def start(**config: Any) -> str:
        return stack.enter_context(running_server(**config))

    def client(url: str) -> Client:
        clients.append(Client(url))
        return clients[-1]

    start.client = client  # type: ignore[attr-defined]
    yield start
    for open_client in clients:
        open_client.close()
    stack.close()
