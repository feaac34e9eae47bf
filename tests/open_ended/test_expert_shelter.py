"""The Crafter expert sleeps sealed in a pocket (zombies hit a sleeper for 7) and digs itself out after."""

from embodied.registry import world
from embodied.worlds.crafter import vocab
from embodied.worlds.crafter.env import ACTIONS


def test_expert_seals_itself_in_before_sleeping_and_digs_out():
    spec = world("crafter")
    env = spec.make_env()
    expert = spec.make_expert(env, noise=0.0, seed=0)
    obs, _ = env.reset(seed=0)
    expert.reset()
    player = env.player
    player.inventory.update(wood_pickaxe=1, stone=2, energy=5)
    subgoal = env.set_subgoal(vocab.make_subgoal("wake_up"))
    expert.start(subgoal)
    enclosed_when_asleep = None
    for _ in range(300):
        obs, _, terminated, truncated, info = env.step(expert.act(obs))
        if player.sleeping and enclosed_when_asleep is None:
            enclosed_when_asleep = expert._enclosed()
        if info["is_success"] or terminated:
            break
    assert info["is_success"] and enclosed_when_asleep
    subgoal = env.set_subgoal(vocab.make_subgoal("collect_wood"))  # sealed in: the way out is through a stone
    expert.start(subgoal)
    actions = []
    for _ in range(300):
        actions.append(ACTIONS[expert.act(obs)])
        obs, _, terminated, _, info = env.step(ACTIONS.index(actions[-1]))
        if info["is_success"] or terminated:
            break
    assert info["is_success"] and "do" in actions[:3]
