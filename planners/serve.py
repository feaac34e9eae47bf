"""A small OpenAI-compatible server for the bundled model: `python -m planners.serve --port 8000`.

Endpoints: GET /v1/models, POST /v1/chat/completions (greedy; `max_tokens`, `stop`). A `response_format` of
type json_schema whose schema is an array of string enums (or an object holding one such array) is
enforced with constrained decoding; other schemas are answered unconstrained. Image content parts are
accepted and ignored (the model reads text only; the count is reported in `usage.images_ignored`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from planners.llm.model import LocalChatModel


def schema_choices(response_format: dict[str, Any] | None) -> tuple[list[str], int, str, str] | None:
    """(choices, max_items, prefix, suffix) for an enum-array JSON schema, else None."""
    if not response_format or response_format.get("type") != "json_schema":
        return None
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    prefix = suffix = ""
    if schema.get("type") == "object":
        arrays = [(k, v) for k, v in (schema.get("properties") or {}).items() if v.get("type") == "array"]
        if len(arrays) != 1 or len(schema.get("properties")) != 1:
            return None
        key, schema = arrays[0]
        prefix, suffix = "{" + json.dumps(key) + ": ", "}"
    choices = (schema.get("items") or {}).get("enum") if schema.get("type") == "array" else None
    if not choices or not all(isinstance(c, str) for c in choices):
        return None
    return list(choices), int(schema.get("maxItems", 12)), prefix, suffix


class ChatServer(ThreadingHTTPServer):
    """Holds the model; requests are served one generation at a time (the model's lock)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], model: LocalChatModel, api_key: str = "") -> None:
        super().__init__(address, Handler)
        self.model, self.api_key = model, api_key

    def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ValueError("'messages' must be a non-empty list")
        images = sum(1 for m in messages if isinstance(m.get("content"), list)
                     for part in m["content"] if isinstance(part, dict) and part.get("type") == "image_url")
        stop = request.get("stop") or ()
        stop = [stop] if isinstance(stop, str) else list(stop)
        constrained = schema_choices(request.get("response_format"))
        if constrained:
            choices, max_items, prefix, suffix = constrained
            content = self.model.complete(messages, choices, max_items, prefix=prefix) + suffix
        else:
            content = self.model.complete(messages, None, max_tokens=int(request.get("max_tokens") or 256), stop=stop)
        return {
            "id": f"chatcmpl-{time.time_ns()}", "object": "chat.completion", "created": int(time.time()),
            "model": self.model.name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"images_ignored": images},
        }


class Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._reply(200, {"object": "list", "data": [{"id": self.server.model.name, "object": "model"}]})
        else:
            self._reply(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            return self._reply(404, {"error": {"message": f"no route {self.path}"}})
        if self.server.api_key and self.headers.get("Authorization") != f"Bearer {self.server.api_key}":
            return self._reply(401, {"error": {"message": "missing or wrong API key"}})
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self._reply(200, self.server.chat(request))
        except (ValueError, TypeError, AttributeError) as error:
            self._reply(400, {"error": {"message": f"bad request: {error}"}})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        print(f"{self.address_string()} {format % args}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m planners.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", default="", help="a .gguf file or model directory (default: the bundled one)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--api-key-env", default="", help="require the key held by this environment variable")
    args = parser.parse_args(argv)
    api_key = os.environ.get(args.api_key_env, "") if args.api_key_env else ""
    if args.api_key_env and not api_key:
        parser.error(f"--api-key-env {args.api_key_env}: that environment variable is not set")
    server = ChatServer((args.host, args.port), LocalChatModel(args.model, args.threads), api_key)
    print(f"serving {server.model.name} on http://{args.host}:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
