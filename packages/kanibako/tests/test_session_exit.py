"""After a session the console script ends at once, but not before what must finish has."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# A process that leaves what the interpreter's own exit would finish: a
# non-daemon thread still writing (as the hub's last registry write is), an
# atexit handler, and output still in the buffers of both standard streams.
_SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
from kanibako.cli import main
from kanibako.errors import SessionEnded
import kanibako.cli as cli_module

where = Path(sys.argv[1])

def late_write():
    time.sleep(0.3)
    (where / "thread").write_text("finished")

threading.Thread(target=late_write, daemon=False).start()
atexit.register(lambda: (where / "atexit").write_text("ran"))
sys.stdout.write("out, no newline")
sys.stderr.write("err, no newline")

class Ended:
    def main(self, **kwargs):
        raise SessionEnded(int(sys.argv[2]))

cli_module.cli = Ended()
main()
raise AssertionError("main() returned")
"""


def _end_session(tmp_path: Path, status: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path), str(status)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # Buffered streams, as a terminal-less run has them.
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )


def test_a_session_end_exits_with_its_status(tmp_path: Path) -> None:
    assert _end_session(tmp_path, 3).returncode == 3
    assert _end_session(tmp_path, 0).returncode == 0


def test_non_daemon_threads_and_atexit_handlers_finish_first(tmp_path: Path) -> None:
    done = _end_session(tmp_path, 0)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_buffered_output_is_not_lost(tmp_path: Path) -> None:
    done = _end_session(tmp_path, 1)
    assert done.stdout == "out, no newline"
    assert done.stderr == "err, no newline"
