"""Render one still frame (PNG) of each world after a seeded reset, to look at the scenes and cameras.

    MUJOCO_GL=egl python experiments/render_stills.py --out data/stills --size 256 [--worlds crafter tabletop]
"""

from __future__ import annotations

import argparse
import os

import imageio.v2 as imageio

from embodied.registry import WORLDS, MissingDependencyError, world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="data/stills")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worlds", nargs="*", default=sorted(WORLDS))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.worlds:
        kwargs = {"size": args.size} if name == "crafter" else {"image_size": args.size}
        try:
            env = world(name).make_env(**kwargs)
        except MissingDependencyError as error:
            print(f"{name}: skipped ({error})")
            continue
        env.reset(seed=args.seed)
        path = os.path.join(args.out, f"{name}.png")
        imageio.imwrite(path, env.render())
        env.close()
        print(path)


if __name__ == "__main__":
    main()
