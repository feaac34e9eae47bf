"""Validate a dataset in a child process with a deadline, so a damaged file cannot hang the caller.

The HDF5 C library can loop forever on some damaged files (a corrupted attribute heap or chunk index: 4 of
1,500 fuzzed files here), and no Python-level timeout reaches code running inside it. `probe` therefore runs
the validator (embodied/datasets/validate.py) and reads every attribute and every array once in a child
process; the caller gets the child's verdict, or a DatasetError when the child goes silent for longer than the
deadline (it reports each group it has read, so a big file on a loaded CPU is not mistaken for a loop) or
crashes. A file that passed is remembered by (path, size, mtime) for the life of the process,
so a file is probed once however often it is opened.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from typing import Any

import h5py

from embodied.datasets.hdf5 import DatasetError

BASE_SECONDS = float(os.environ.get("EMBODIED_HDF5_PROBE_SECONDS", "10"))
SECONDS_PER_MB = 0.1  # a generous bound on reading and inflating one MB of the file
_PASSED: set[tuple[str, int, int]] = set()
HEARTBEAT = None  # what the child sends after each group it has read (a verdict is a str: "" = valid)


def deadline_for(path: str) -> float:
    return BASE_SECONDS + SECONDS_PER_MB * os.path.getsize(path) / 1e6


def probe(path: str) -> None:
    """Return when `path` is a valid dataset whose every byte HDF5 can read; DatasetError (one line) if not."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key in _PASSED:
        return
    # fork is fast; a process with other Python threads (the demo server) spawns, since a thread may hold a
    # lock (h5py's, the allocator's) at the moment of the fork
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    receive, send = context.Pipe(duplex=False)
    # a daemonic process (a DataLoader worker) may not have daemonic children; the child is killed below anyway
    child = context.Process(target=_check_in_child, args=(path, send), daemon=not _in_daemon())
    child.start()
    send.close()
    seconds = deadline_for(path)
    answered, verdict = False, None
    try:  # the child reports each group it has read: the deadline is on silence, so a loaded CPU is not a loop
        while receive.poll(seconds):
            message = receive.recv()
            if message is not HEARTBEAT:
                answered, verdict = True, message
                break
    except EOFError:  # the child died without answering
        answered = True
    finally:
        receive.close()
        if verdict is None:
            child.kill()
        child.join()
    if verdict is None and not answered:
        raise DatasetError(f"{path}: the HDF5 library read nothing more for {seconds:.0f} s (a damaged file: HDF5 "
                           f"can loop on a corrupted header or chunk index)")
    if verdict is None:
        raise DatasetError(f"{path}: the HDF5 library crashed reading it (exit code {child.exitcode}); the file "
                           f"is damaged")
    if verdict:
        raise DatasetError(verdict)
    _PASSED.add(key)


def _in_daemon() -> bool:
    return bool(multiprocessing.current_process().daemon)


def _check_in_child(path: str, send: Any) -> None:
    try:
        _validate_and_read(path, lambda: send.send(HEARTBEAT))
        verdict = ""
    except DatasetError as error:
        verdict = str(error)
    except BaseException as error:  # noqa: BLE001 (anything else from a damaged file is the same verdict)
        detail = str(error).splitlines()[0][:160] if str(error) else "no detail"
        verdict = f"{path}: unreadable ({type(error).__name__}: {detail})"
    send.send(verdict)
    send.close()


def _validate_and_read(path: str, beat: Callable[[], None]) -> None:
    from embodied.datasets.validate import unreadable, validate_file

    try:
        file = h5py.File(path, "r")
    except BlockingIOError:
        raise DatasetError(f"{path}: another process is writing it right now; try again when it is done") from None
    except OSError as error:
        raise DatasetError(f"{path}: not an HDF5 file ({error.__class__.__name__})") from None
    with file:
        validate_file(path, file, beat)
        with unreadable(path):
            _read_all(file, beat)


def _read_all(group: h5py.Group, beat: Callable[[], None]) -> None:
    """Every attribute and every array of `group`, recursively (where HDF5 would loop, it loops here); `beat()`
    after each group."""
    for value in group.attrs.values():
        del value
    for name in group:
        item = group[name]
        if isinstance(item, h5py.Group):
            _read_all(item, beat)
        else:
            for value in item.attrs.values():
                del value
            item[()]
    beat()
