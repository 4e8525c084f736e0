"""SIGKILL at a chosen moment, for the tests that prove nothing is lost."""

import subprocess
import sys
import tempfile
import time


def cli(*argv):
    return [sys.executable, "-m", "bert_keras.cli", *argv]


def kill_when(argv, condition, timeout=600, env=None) -> bool:
    """Runs `argv` and SIGKILLs it the moment `condition()` holds. Returns True if it
    was killed, False if it finished first (with status 0: anything else fails)."""
    # a file, not a pipe: a full pipe would stall the process
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=stderr, text=True, env=env
        )
        deadline = time.time() + timeout
        while process.poll() is None:
            if condition():
                process.kill()
                process.wait()
                return True
            if time.time() > deadline:
                process.kill()
                raise AssertionError(f"{argv} neither finished nor met the condition in {timeout}s")
            time.sleep(0.001)
        stderr.seek(0)
        assert process.returncode == 0, stderr.read()[-2000:]
    return False


def kill_while(argv, writing, attempts=30, env=None):
    """Runs `argv` (re-running the same command after each kill) until a kill lands
    while `writing()` holds and stays true after the process died: proof that the
    kill interrupted the write. Fails if the command finishes first."""
    for _ in range(attempts):
        if not kill_when(argv, writing, env=env):
            raise AssertionError("the command finished before a kill landed mid-write")
        if writing():
            return
    raise AssertionError(f"no kill landed mid-write in {attempts} attempts")
