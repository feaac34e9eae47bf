"""Load test of the web demo: N WebSocket clients at once on one real server for a bounded time.

    python experiments/benchmarks/demo_load.py [--clients 8] [--seconds 60] [--speed 15] [--json F]

Starts `embodied demo` in a subprocess on a free loopback port (max_sessions = --clients), connects the
clients together (threads, loopback), each its own session: Crafter (seed = its number), the symbolic
planner, the scripted expert, a new instruction whenever a plan is done or an episode over (the clients of
demo_fps.py). Counts each session's JPEG frames for `--seconds` from its first agent step, then reports the
per-session frames/s (min / median / max), agent steps/s, the longest wait for a frame, the server's resident
memory (/proc) before the clients, at its peak and after they left, the load average before and after (the
machine may be shared), and the sessions lost: a client refused, closed, never stepped or whose socket
dropped (should be 0). Bounded: it ends after `--seconds` plus at most 60 s of start-up; exit code 1 when a
session was lost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_fps import free_port, rss_mb, run_case, wait_for_port  # noqa: E402  (the same clients)


def start_server(clients: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "embodied.cli.main", "demo", f"port={port}",
                               f"max_sessions={clients}", "checkpoints=[]"],
                              env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and "open http" in server.stdout.readline()
    wait_for_port(port, 120.0)
    return server, port


def sample_rss(pid: int, stop: threading.Event, peak: list[float]) -> None:
    while not stop.wait(1.0):
        peak[0] = max(peak[0], rss_mb(pid))


def load_test(clients: int, seconds: float, speed: float) -> dict[str, Any]:
    server, port = start_server(clients)
    try:
        time.sleep(1.0)
        before, load_before = rss_mb(server.pid), os.getloadavg()
        peak, stop = [before], threading.Event()
        sampler = threading.Thread(target=sample_rss, args=(server.pid, stop, peak), daemon=True)
        sampler.start()
        began = time.time()
        results = run_case(f"ws://127.0.0.1:{port}/ws", clients, speed, seconds)
        wall = time.time() - began
        stop.set()
        sampler.join(5)
        time.sleep(2.0)  # the closed sessions' threads wind down
        after = rss_mb(server.pid)
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait(10)
    fps = [r.get("fps", 0.0) for r in results]
    return {"clients": clients, "seconds": seconds, "speed": speed, "wall_s": wall, "cores": os.cpu_count(),
            "fps": fps, "fps_min": min(fps), "fps_median": statistics.median(fps), "fps_max": max(fps),
            "steps_per_s": [r.get("steps_per_s", 0.0) for r in results],
            "max_gap_s": max(r.get("max_gap_s", float("inf")) for r in results),
            "rss_before_mb": before, "rss_peak_mb": max(peak[0], after), "rss_after_mb": after,
            "load_before": load_before, "load_after": os.getloadavg(), "server_alive": alive,
            "lost": sum(bool(r.get("lost", True)) for r in results),
            "errors": [r["error"] for r in results if "error" in r]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--speed", type=float, default=15.0, help="agent steps/s per session (0: unpaced)")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    if args.clients < 1 or not 0 < args.seconds <= 3600:
        parser.error("--clients >= 1 and 0 < --seconds <= 3600")
    row = load_test(args.clients, args.seconds, args.speed)
    load = lambda values: " ".join(f"{v:.2f}" for v in values)  # noqa: E731
    print(f"{row['clients']} sessions for {row['seconds']:g} s at {row['speed']:g} steps/s: frames/s per session "
          f"min {row['fps_min']:.1f} / median {row['fps_median']:.1f} / max {row['fps_max']:.1f} "
          f"(agent steps/s median {statistics.median(row['steps_per_s']):.1f}); longest wait for a frame "
          f"{row['max_gap_s']:.2f} s; server RSS {row['rss_before_mb']:.0f} MB before, {row['rss_peak_mb']:.0f} "
          f"peak, {row['rss_after_mb']:.0f} after; sessions lost {row['lost']}; load average "
          f"{load(row['load_before'])} -> {load(row['load_after'])} on {row['cores']} cores", flush=True)
    for error in row["errors"]:
        print(f"  lost: {error}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(row, handle, indent=1)
    return 0 if row["lost"] == 0 and row["server_alive"] else 1


if __name__ == "__main__":
    sys.exit(main())
