"""`embodied demo` from the command line: hydra overrides, the printed URL, the page and its local assets."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_embodied_demo_serves_the_page_with_local_assets_only(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "embodied.cli.main", "demo", "--help"], capture_output=True,
                               text=True, timeout=120).stdout
    assert "max_sessions: 4" in help_text and "host: 127.0.0.1" in help_text
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "embodied.cli.main", "demo", f"port={port}",
                               f"checkpoints=[{tmp_path}]"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        assert f"open http://127.0.0.1:{port}/" in server.stdout.readline()
        deadline = time.time() + 60
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().decode()
                break
            except OSError:
                assert time.time() < deadline, "the server did not answer"
                time.sleep(0.2)
        assets = re.findall(r'(?:src|href)="([^"#]+)"', page)
        assert sorted(assets) == ["/static/app.js", "/static/style.css"]  # no CDN, no build step
        for asset in assets:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}{asset}").read().decode()
            assert "http://" not in body.replace("http://127.0.0.1:8000/v1", "") and "https://" not in body
    finally:
        server.terminate()
        server.wait(20)


def test_demo_yaml_keys_and_values_match_the_dataclass():
    import dataclasses

    from embodied.cli.config import compose, plain
    from embodied.demo.server import DemoConfig

    composed = plain(compose("demo", []))
    defaults = {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
                for f in dataclasses.fields(DemoConfig)}
    assert composed == defaults  # one set of defaults, spelled the same in both places
