"""One source of defaults: group YAMLs hold no defaults of their own (the dataclasses do), top-level YAML keys
match their dataclasses, and a bad value or an unknown key is one clear ConfigError at composition."""

import dataclasses

import pytest

from embodied.cli.config import ConfigError, compose, config_dir, plain
from embodied.cli.schemas import GROUP_SCHEMAS, NAMED_GROUPS, fields_of, schema
from embodied.collection import CollectConfig
from embodied.evaluation import EvalConfig
from planners.mllm.train import TrainPlannerConfig

FIXED = {("planner", "mllm"): {"checkpoint"}}  # keys a group YAML may set: required ones (???)


@pytest.mark.parametrize("group,option", sorted(GROUP_SCHEMAS))
def test_group_defaults_come_from_the_dataclass(group, option):
    import yaml

    text = yaml.safe_load((config_dir() / group / f"{option}.yaml").read_text())
    assert text["defaults"][0] == f"{option}_schema"
    assert set(text) - {"defaults"} <= FIXED.get((group, option), set()), "a default written twice"
    command, extra = ("train", ["dataset=x"]) if group != "planner" else ("eval", ["checkpoint=x"])
    overrides = [f"{group}={option}", *extra] + (["planner.checkpoint=y"] if option == "mllm" else [])
    composed = plain(compose(command, overrides))[group]
    cls = schema(group, option)
    defaults = {f.name: (f.default if f.default is not dataclasses.MISSING else f.default_factory())
                for f in dataclasses.fields(cls)}
    assert set(composed) == fields_of(cls) and ("name" in composed) == (group in NAMED_GROUPS)
    assert {k: v for k, v in composed.items() if k not in FIXED.get((group, option), set())} == \
        {k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()
         if k not in FIXED.get((group, option), set())}


@pytest.mark.parametrize("name,cls,groups,extra", [
    ("eval", EvalConfig, {"planner"}, ["checkpoint=x"]),
    ("collect", CollectConfig, {"env"}, []),
    ("train_planner", TrainPlannerConfig, {"dataset", "out"}, ["dataset=x"]),
])
def test_top_level_yaml_keys_match_their_dataclass(name, cls, groups, extra):
    keys = set(plain(compose(name, extra))) - groups
    expected = fields_of(cls) - {"env", "env_kwargs"} if cls in (CollectConfig, EvalConfig) else fields_of(cls)
    assert keys == expected


@pytest.mark.parametrize("override", ["train.lr=fast", "policy.dim=wide", "policy.no_such_key=1",
                                      "train.no_such_key=1"])
def test_a_bad_value_or_key_is_one_config_error(override):
    with pytest.raises(ConfigError) as error:
        compose("train", ["dataset=x", override])
    assert "\n" not in str(error.value) and override.split("=")[0].split(".")[-1] in str(error.value)
