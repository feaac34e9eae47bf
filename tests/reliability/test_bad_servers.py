"""The `openai` backend against small bad servers on 127.0.0.1: every failure is one ModelError line within the
whole-call deadline, and the planner falls back to the symbolic plan (never a traceback)."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable

import pytest

from embodied.types import Subgoal
from planners.language import ModelError
from planners.openai_compat import OpenAIChatModel, OpenAIConfig, OpenAIPlanner


def _garbage(conn: socket.socket) -> None:
    conn.sendall(b"\x00\x01 this is not HTTP at all\r\n\r\n")


def _closes_early(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"choi")


def _resets(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST


def _not_json(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world")


def _trickles(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}":
        conn.sendall(bytes([byte]))
        time.sleep(1.0)


def _read_request(conn: socket.socket) -> None:
    """The whole request (headers, then Content-Length bytes of body): closing with unread bytes would send a
    reset instead of the misbehaviour under test."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


def _serve(behaviour: Callable[[socket.socket], None]) -> tuple[str, socket.socket]:
    """A loopback server that reads each request whole and then misbehaves; returns its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                _read_request(conn)
                behaviour(conn)

    threading.Thread(target=loop, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/v1", listener


CASES = {"garbage": (_garbage, "bad HTTP response"), "closes early": (_closes_early, "IncompleteRead"),
         "connection reset": (_resets, "Connection reset|RemoteDisconnected"),
         "non-JSON body": (_not_json, "response is not JSON"),
         "a byte every second": (_trickles, "no complete reply within timeout_s=2 s")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_server_is_one_model_error_within_the_deadline(case):
    behaviour, expected = CASES[case]
    url, listener = _serve(behaviour)
    model = OpenAIChatModel(OpenAIConfig(base_url=url, timeout_s=2.0, api_key_env=""))
    began = time.time()
    try:
        with pytest.raises(ModelError) as error:
            model.complete([{"role": "user", "content": "plan"}], choices=["collect wood"])
    finally:
        listener.close()
    assert time.time() - began < 3.5, "the deadline bounds the whole call"
    assert any(part in str(error.value) for part in expected.split("|")), str(error.value)
    assert "\n" not in str(error.value)


def test_the_planner_falls_back_to_the_symbolic_plan_on_a_garbage_server():
    url, listener = _serve(_garbage)
    try:
        planner = OpenAIPlanner(base_url=url, timeout_s=2.0, api_key_env="", world="crafter")
        plan = planner.plan("collect wood", {"world": "crafter", "inventory": {}})
    finally:
        listener.close()
    assert plan.subgoals and all(isinstance(s, Subgoal) for s in plan.subgoals)
    assert "fell back to the symbolic planner" in plan.explanation and "bad HTTP response" in plan.explanation
