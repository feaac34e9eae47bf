"""Backend `openai`: any OpenAI-compatible chat-completions endpoint, over the standard library's HTTP client.

The observation image goes along as image content (a base64 PNG data URL); with `structured` the reply is
asked for as a JSON schema (`response_format`) whose items are the world's allowed subgoal texts, which
servers that support structured outputs enforce. Replies are validated, repaired once and, failing that,
replaced by the symbolic planner's plan (planners/language.py). `python -m planners.serve` is such a server.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from planners.language import Feasible, LanguagePlanner, LanguagePlannerConfig, ModelError


@dataclass
class OpenAIConfig(LanguagePlannerConfig):
    """Where the endpoint is and how to ask it; the key is read from the environment variable `api_key_env`."""

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "smollm2-135m-instruct"
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 60.0
    send_image: bool = True
    structured: bool = True


class OpenAIChatModel:
    """POST /chat/completions with temperature 0; errors of any kind become ModelError (one line)."""

    def __init__(self, config: OpenAIConfig) -> None:
        self.config = config
        self.name = config.model
        self.accepts_images = config.send_image
        self.plan_key = "subgoals" if config.structured else ""  # worked examples shown in the schema's form

    def complete(self, messages: list[dict[str, Any]], choices: Sequence[str] | None = None,
                 max_items: int = 10, max_tokens: int = 128, stop: Sequence[str] = (),
                 feasible: Feasible | None = None) -> str:
        """`feasible` is not sent: a remote server cannot run the world's rules (replies are validated after)."""
        body: dict[str, Any] = {"model": self.config.model, "messages": messages, "temperature": 0,
                                "max_tokens": max_tokens}
        if stop:
            body["stop"] = list(stop)
        if choices and self.config.structured:
            body["response_format"] = plan_schema(choices, max_items)
        data = self._post("/chat/completions", body)
        try:
            return str(data["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise ModelError(f"{self.config.base_url}: response has no choices[0].message.content") from None

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The request runs in a thread joined with `timeout_s`: the deadline bounds the whole call (connect,
        headers, a body trickled a byte at a time), not each read."""
        url = self.config.base_url.rstrip("/") + path
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.config.api_key_env, "") if self.config.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
        outcome: dict[str, Any] = {}

        def call() -> None:
            try:
                outcome["data"] = _send(request, url, self.config.timeout_s)
            except ModelError as error:
                outcome["error"] = error
            except Exception as error:  # anything else a broken server provokes: still one line
                outcome["error"] = ModelError(f"{url}: {type(error).__name__}: {_first_line(error)}")

        thread = threading.Thread(target=call, name="openai-request", daemon=True)
        thread.start()
        thread.join(self.config.timeout_s)
        if thread.is_alive():
            raise ModelError(f"{url}: no complete reply within timeout_s={self.config.timeout_s:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["data"]


def _send(request: urllib.request.Request, url: str, timeout_s: float) -> Any:
    """POST and parse the JSON reply; bad HTTP of any kind (status, framing, resets, non-JSON) is a ModelError."""
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        try:
            detail = error.read().decode(errors="replace")[:200]
        except (OSError, http.client.HTTPException):
            detail = "(no readable body)"
        raise ModelError(f"{url}: HTTP {error.code}: {' '.join(detail.split())}") from None
    except urllib.error.URLError as error:
        raise ModelError(f"{url}: {_first_line(error.reason)}") from None
    except (http.client.HTTPException, OSError) as error:  # BadStatusLine, IncompleteRead, resets, timeouts
        raise ModelError(f"{url}: bad HTTP response ({type(error).__name__}: {_first_line(error)})") from None
    try:
        return json.loads(raw)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise ModelError(f"{url}: response is not JSON: {raw[:80]!r}") from None


def _first_line(error: Any) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:160] if text else "no detail"


def plan_schema(choices: Sequence[str], max_items: int) -> dict[str, Any]:
    """OpenAI structured-output format: {"subgoals": [one of `choices`, ...]}."""
    items = {"type": "array", "items": {"type": "string", "enum": list(choices)}, "maxItems": max_items}
    schema = {"type": "object", "properties": {"subgoals": items}, "required": ["subgoals"],
              "additionalProperties": False}
    return {"type": "json_schema", "json_schema": {"name": "plan", "strict": True, "schema": schema}}


def OpenAIPlanner(**kwargs: Any) -> LanguagePlanner:  # noqa: N802 (a factory registered like a class)
    """Build the `openai` planner from config keys (experiments/conf/planner/openai.yaml)."""
    config = OpenAIConfig(**kwargs)
    shared = LanguagePlannerConfig(**{f.name: getattr(config, f.name) for f in fields(LanguagePlannerConfig)})
    return LanguagePlanner(OpenAIChatModel(config), shared, name="openai")
