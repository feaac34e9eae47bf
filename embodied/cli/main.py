"""`embodied` command line: collect, data info, train, eval, run, eval-planner, demo (hydra overrides as key=value)."""

from __future__ import annotations

import argparse
import os
import sys

COMMANDS = {
    "collect": ("collect", "record scripted-expert demonstrations into an HDF5 file"),
    "train": ("train", "train a goal-conditioned policy on HDF5 demonstrations"),
    "eval": ("eval", "evaluate a trained policy: success per subgoal with 95%% CIs, printed as JSON"),
    "run": ("run", "plan an instruction and execute it with a trained policy; writes a video"),
    "eval-planner": ("eval_planner", "score a planner backend against the symbolic oracle on generated instructions"),
    "train-planner": ("train_planner", "fine-tune the mllm planner (image encoder + LoRA) on dataset pairs"),
    "demo": ("demo", "serve the interactive web page: type instructions, watch, take over (prints the URL)"),
    "dagger": ("dagger", "DAgger: expert-labelled policy rollouts aggregated into the dataset, retrain, per round"),
}
EXAMPLES = """examples:
  embodied collect env=crafter episodes=2 out=data/demo.hdf5
  embodied data info data/demo.hdf5
  embodied train dataset=data/demo.hdf5 policy=transformer train.steps=50 out=data/runs/t
  embodied eval checkpoint=data/runs/t episodes=2
  embodied eval episodes=2                      # no checkpoint=: the shipped default of env=NAME (crafter)
  embodied run "make a wood pickaxe" checkpoint=data/runs/t video=data/videos/run.mp4
  embodied eval-planner backend=llm n=200
  embodied train-planner dataset=data/demo.hdf5 out=data/runs/mllm steps=300
  embodied demo port=8765
  embodied dagger dataset=data/demo.hdf5 rounds=3 episodes_per_round=10 out=data/runs/dagger
"""


class _DefaultsHelp(argparse.Action):
    """--help that also prints the command's composed default config (every key you can override)."""

    def __init__(self, option_strings, dest, config_name: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)
        self.config_name = config_name

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from embodied.cli.config import default_yaml

        parser.print_help()
        print(f"\ndefault config (experiments/conf/{self.config_name}.yaml; override any key as key=value):\n")
        print(default_yaml(self.config_name))
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="embodied", description="Embodied agent platform.", epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (config_name, summary) in COMMANDS.items():
        command = sub.add_parser(name, help=summary, description=summary, add_help=False)
        command.add_argument("-h", "--help", action=_DefaultsHelp, config_name=config_name,
                             help="show this help and the default config")
        if name == "run":
            command.add_argument("instruction", help='what to do, e.g. "make a stone pickaxe"')
        command.add_argument("overrides", nargs="*", metavar="key=value", help="hydra overrides")
    data = sub.add_parser("data", help="inspect datasets", description="inspect datasets")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    info = data_sub.add_parser("info", help="episodes, steps, keys, shapes and subgoal counts of a dataset")
    info.add_argument("path", help="an HDF5 dataset written by `embodied collect`")
    return parser


# what a Ctrl-C outside the training loop (which reports its own checkpoint) leaves behind, per command
INTERRUPTED = {
    "train": "while setting up (reading the dataset, building the model), before the first step of this run: "
             "nothing new was written and any earlier checkpoint in out= is untouched",
    "collect": "the finished episodes in out= are kept; the same command again appends new seeds",
    "dagger": "finished rounds are kept in out=; the same command again resumes at the next round",
    "train-planner": "while setting up, before the first step of this run: nothing new was written",
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:  # anywhere, the imports included
        print(f"embodied {args.command}: interrupted; {INTERRUPTED.get(args.command, 'nothing was written')}",
              file=sys.stderr)
        if argv is None:  # the command line: exit 130 now. Python may otherwise die of SIGINT (-2) at shutdown
            # when the interrupt landed inside an import (files being written were closed while unwinding)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from embodied.cli import commands
    from embodied.cli.config import ConfigError
    from embodied.datasets.hdf5 import DatasetError, DiskFullError
    from embodied.registry import MissingDependencyError
    from embodied.types import CheckpointError, InvalidPlanError, UnknownSubgoalError

    try:
        if args.command == "data":
            code = commands.cmd_data_info(args.path)
        elif args.command == "run":
            code = commands.cmd_run(args.instruction, args.overrides)
        else:
            code = getattr(commands, f"cmd_{args.command.replace('-', '_')}")(args.overrides)
    except (ConfigError, DatasetError, MissingDependencyError, InvalidPlanError, UnknownSubgoalError,
            FileNotFoundError, KeyError, CheckpointError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"embodied {args.command}: error: {message}", file=sys.stderr)
        if isinstance(error, DiskFullError):  # h5py's finalisers would try to write to the full disk again
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(2)
        return 2
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
