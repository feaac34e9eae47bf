"""The four gymnasium-robotics Fetch tasks, one world each (one env class, one expert, one rule set)."""

from embodied.registry import World


def _fetch(name: str, part: str) -> World:
    return World(
        name=name,
        env="embodied.worlds.fetch.env:FetchEnv",
        expert="embodied.worlds.fetch.expert:FetchExpert",
        rules=f"embodied.worlds.fetch.rules:{part}",
        vocabulary=f"embodied.worlds.fetch.vocab:{part}",
        language=f"embodied.worlds.fetch.language:{part}",
        env_kwargs=(("task", name),),
    )


REACH = _fetch("fetch_reach", "REACH")
PUSH = _fetch("fetch_push", "PUSH")
PICK_AND_PLACE = _fetch("fetch_pick_and_place", "PICK_AND_PLACE")
SLIDE = _fetch("fetch_slide", "SLIDE")
