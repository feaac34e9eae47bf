"""Frames/s the web demo delivers per session, for 1 and N concurrent Crafter sessions (loopback clients).

    python experiments/benchmarks/demo_fps.py [--sessions 1 4] [--seconds 20] [--speeds 15 0] [--json F]

Starts `embodied demo` in a subprocess on a free loopback port (max_sessions = the largest count), then for
each session count and agent speed (steps/s; 0 = as fast as the machine goes, frames capped at 30/s by the
server) opens that many WebSocket clients at once. Each asks the scripted expert under the symbolic planner
for a long chain ("make an iron pickaxe", seeds 0..N-1), gives a new instruction whenever the plan is done or
the episode over, and counts the JPEG frames (and agent steps) received during `--seconds` from its first
agent step (Crafter's world generation at the reset, 1-3 s, is not counted). Prints, per case, the
per-session frames/s (min / mean), the machine's load average (other work on a shared machine lowers the
numbers), the server's resident memory before and after, and sessions lost (a client that saw its socket
close or received no step). Bounded: every case ends after `--seconds` (plus at most 60 s of start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

INSTRUCTIONS = ("make an iron pickaxe", "collect 5 wood", "make a stone sword", "eat a cow", "collect 3 stone")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    """Until the server accepts connections (it prints its URL before uvicorn has bound the port)."""
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def client(url: str, seed: int, speed: float, seconds: float, out: dict[str, Any]) -> None:
    """One tab: reset to `seed`, set `speed`, keep the agent busy, count frames for `seconds`."""
    frames, steps, started, turn, last_frame, gap = 0, 0, None, 0, None, 0.0
    try:
        with connect(url, max_size=1 << 22) as ws:
            ws.send(json.dumps({"type": "reset", "seed": seed}))
            ws.send(json.dumps({"type": "speed", "value": speed}))
            deadline = time.time() + seconds + 60  # generous start-up allowance, then `seconds` of counting
            while time.time() < deadline:
                try:
                    message = ws.recv(timeout=max(0.1, deadline - time.time()))
                except TimeoutError:
                    continue  # the loop ends at the deadline
                if isinstance(message, bytes):
                    frames += started is not None
                    if started is not None:  # the longest wait for a frame while counting
                        now = time.time()
                        gap, last_frame = max(gap, now - (last_frame or started)), now
                    continue
                event = json.loads(message)
                if event["type"] == "step" and started is None:  # count from the agent's first step (after the
                    started, deadline = time.time(), time.time() + seconds  # world generation of the reset)
                steps += event["type"] == "step"
                if event["type"] in ("refused", "closed"):
                    raise RuntimeError(event["message"])
                if event["type"] == "status" and event["state"] in ("idle", "waiting", "ended", "crashed"):
                    ws.send(json.dumps({"type": "instruct", "text": INSTRUCTIONS[turn % len(INSTRUCTIONS)]}))
                    turn += 1
        elapsed = max(1e-9, time.time() - started) if started else float("inf")
        out.update(fps=frames / elapsed, steps_per_s=steps / elapsed, lost=started is None, max_gap_s=gap)
    except (OSError, RuntimeError, TimeoutError, ConnectionClosed) as error:  # the session is gone
        out.update(fps=frames / max(1e-9, time.time() - (started or time.time())), lost=True, error=str(error))


def run_case(url: str, sessions: int, speed: float, seconds: float) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [{} for _ in range(sessions)]
    threads = [threading.Thread(target=client, args=(url, seed, speed, seconds, results[seed]))
               for seed in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--speeds", type=float, nargs="+", default=[15.0, 0.0])
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "embodied.cli.main", "demo", f"port={port}",
                               f"max_sessions={max(args.sessions)}", "checkpoints=[]"],
                              env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE, text=True)
    rows = []
    try:
        assert server.stdout is not None and "open http" in server.stdout.readline()
        wait_for_port(port, 120.0)
        url = f"ws://127.0.0.1:{port}/ws"
        for speed in args.speeds:
            for sessions in args.sessions:
                before = rss_mb(server.pid)
                results = run_case(url, sessions, speed, args.seconds)
                fps = [r.get("fps", 0.0) for r in results]
                steps = [r.get("steps_per_s", 0.0) for r in results]
                rows.append({"sessions": sessions, "speed": speed, "fps_min": min(fps), "fps_mean": sum(fps) / len(fps),
                             "steps_per_s_mean": sum(steps) / len(steps), "load_average": os.getloadavg()[0],
                             "rss_before_mb": before, "rss_after_mb": rss_mb(server.pid),
                             "lost": sum(bool(r.get("lost", True)) for r in results),
                             "errors": [r["error"] for r in results if "error" in r]})
                row = rows[-1]
                print(f"{sessions} session(s), speed {speed:g} steps/s: frames/s per session min {row['fps_min']:.1f} "
                      f"mean {row['fps_mean']:.1f} (agent steps/s {row['steps_per_s_mean']:.1f}); load average "
                      f"{row['load_average']:.1f} on {os.cpu_count()} cores; server RSS {row['rss_before_mb']:.0f} -> "
                      f"{row['rss_after_mb']:.0f} MB; lost {row['lost']}", flush=True)
                time.sleep(2.0)  # the closed sessions' threads wind down
    finally:
        server.terminate()
        server.wait(10)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0 if all(row["lost"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
