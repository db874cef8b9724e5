"""The reading commands find the server `up` recorded in the data dir: ``--url`` and
``--port`` win, a record left by a dead process is ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harvester.cli import server_address
from harvester.settings import Settings


def test_the_recorded_address_is_found_and_explicit_options_win(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, port=8288)
    assert server_address.find_server(settings).url == "http://127.0.0.1:8288"
    server_address.write(tmp_path, "http://127.0.0.1:9123/")
    found = server_address.find_server(settings)
    assert found.url == "http://127.0.0.1:9123" and not found.explicit
    assert "server.json" in found.how
    assert server_address.find_server(settings, port=9200).url == "http://127.0.0.1:9200"
    by_url = server_address.find_server(settings, url="http://h:1/", port=9200)
    assert by_url.url == "http://h:1" and by_url.explicit


def test_a_record_of_a_dead_process_is_ignored(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    record = {"url": "http://127.0.0.1:9999", "pid": int(dead.stdout), "started_at": 0}
    server_address.path_in(tmp_path).write_text(json.dumps(record))
    assert server_address.read(tmp_path) is None
    settings = Settings(data_dir=tmp_path, port=8288)
    assert server_address.find_server(settings).url == "http://127.0.0.1:8288"


def test_remove_forgets_only_its_own_record(tmp_path: Path) -> None:
    record = {"url": "http://127.0.0.1:9999", "pid": os.getppid(), "started_at": 0}
    server_address.path_in(tmp_path).write_text(json.dumps(record))
    server_address.remove(tmp_path)  # another process's record: kept
    assert server_address.read(tmp_path) is not None
    server_address.write(tmp_path, "http://127.0.0.1:9998")
    server_address.remove(tmp_path)
    assert not server_address.path_in(tmp_path).exists()


def test_garbage_in_the_file_is_no_address(tmp_path: Path) -> None:
    server_address.path_in(tmp_path).write_text("{not json")
    assert server_address.read(tmp_path) is None
