"""Real nginx and HAProxy, started from the repository's own configuration files.

Each proxy runs in the foreground as a child process with everything under a temporary
directory (prefix, main configuration, pid file, logs, temp paths), listens on loopback only
and is stopped by its pid. The configuration under test (`deploy/nginx/*.conf`,
`deploy/haproxy/*.cfg`) is used as is: only the backend addresses, the listening port and file
paths are replaced, each by an exact string that must occur in the file, so a file that drifts
from what the tests expect fails loudly instead of being tested half.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "deploy" / "nginx"
HAPROXY_DIR = ROOT / "deploy" / "haproxy"
PREFIX = "/ollama"
# How the files name the servers, the listening port and the TLS material.
BACKEND_PLACEHOLDERS = ("gpu-1.internal:11434", "gpu-2.internal:11434", "gpu-3.internal:11434")
TOKEN = "replace-with-a-long-random-token"
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
KINDS = ("nginx", "haproxy")


def find_binary(kind: str) -> str | None:
    """The proxy's executable, or None when it is not installed."""
    return shutil.which(kind) or next(
        (p for p in (f"/usr/sbin/{kind}", f"/usr/local/sbin/{kind}") if os.access(p, os.X_OK)),
        None,
    )


def skip_reason(kind: str) -> str | None:
    """Why tests through `kind` cannot run here, or None when they can."""
    if find_binary(kind) is None:
        return (
            f"{kind} is not installed (CI installs it: apt-get install -y --no-install-recommends "
            f"{kind}; .ci/run does it)"
        )
    return None


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render(text: str, replacements: Mapping[str, str]) -> str:
    """`text` with each key replaced by its value; every key must occur in it."""
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError(f"the configuration no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def backend_lines(text: str, backends: Sequence[str | None]) -> dict[str, str]:
    """Replacements putting `backends` (host:port, or None to remove that server) in the
    placeholders' places; a removed server loses its whole line."""
    out: dict[str, str] = {}
    for placeholder, address in zip(BACKEND_PLACEHOLDERS, backends, strict=True):
        if address is None:
            match = re.search(rf"^.*{re.escape(placeholder)}.*\n", text, re.MULTILINE)
            if match is None:
                raise AssertionError(f"no line names {placeholder!r}")
            out[match.group(0)] = ""
        else:
            out[placeholder] = address
    return out


class Proxy:
    """One running proxy process. Use it as a context manager.

    Args:
        kind: `nginx` or `haproxy`.
        config: The repository file to run (`deploy/nginx/ollama.conf`, ...).
        backends: `127.0.0.1:<port>` of each server, in the order of the placeholders; None
            removes that server from the configuration.
        workdir: An empty directory for everything the proxy writes.
        extra: More exact-string replacements (file paths of TLS material).
    """

    def __init__(
        self,
        kind: str,
        config: Path,
        backends: Sequence[str | None],
        workdir: Path,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        binary = find_binary(kind)
        if binary is None:
            raise RuntimeError(skip_reason(kind))
        self.kind = kind
        self.port = free_port()
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "access.log"
        self.pid_file = self.dir / f"{kind}.pid"
        text = config.read_text(encoding="utf-8")
        replacements = {**backend_lines(text, backends), **(extra or {})}
        if kind == "nginx":
            self._argv = self._nginx(binary, text, replacements)
        else:
            self._argv = self._haproxy(binary, text, replacements)
        self._process: subprocess.Popen[bytes] | None = None
        self._output = (self.dir / "output.log").open("wb")

    @property
    def url(self) -> str:
        """The base URL clients use: scheme, loopback address, port and the path prefix."""
        return f"{self.scheme}://127.0.0.1:{self.port}{PREFIX}"

    scheme = "http"

    def _nginx(self, binary: str, text: str, replacements: dict[str, str]) -> list[str]:
        for listen in ("listen 8080;", "listen 443 ssl;"):
            if listen in text:
                replacements[listen] = listen.replace(
                    listen.split()[1].rstrip(";"), f"127.0.0.1:{self.port}"
                )
                self.scheme = "https" if "ssl" in listen else "http"
        site = self.dir / "site.conf"
        site.write_text(render(text, replacements), encoding="utf-8")
        temp = self.dir / "temp"
        temp.mkdir()
        main = self.dir / "nginx.conf"
        main.write_text(
            "\n".join(
                [
                    "daemon off;",
                    "worker_processes 1;",
                    f"pid {self.pid_file};",
                    f"error_log {self.dir / 'error.log'} warn;",
                    "events { worker_connections 8192; }",
                    "http {",
                    # The harness's own log: the client's port per request, to count connections.
                    "    log_format ports '$remote_port $status';",
                    f"    access_log {self.log} ports;",
                    *(
                        f"    {name}_temp_path {temp / name};"
                        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                    ),
                    f"    include {site};",
                    "}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        check = subprocess.run(
            [binary, "-t", "-q", "-p", str(self.dir), "-c", str(main), "-e", "stderr"],
            capture_output=True,
            check=False,
        )
        if check.returncode != 0:
            raise AssertionError(f"nginx -t failed:\n{check.stderr.decode(errors='replace')}")
        return [binary, "-p", str(self.dir), "-c", str(main), "-e", str(self.dir / "error.log")]

    def _haproxy(self, binary: str, text: str, replacements: dict[str, str]) -> list[str]:
        for bind in ("bind :8080", "bind :443"):
            if bind in text:
                replacements[bind] = f"bind 127.0.0.1:{self.port}"
                self.scheme = "https" if "443" in bind else "http"
        site = self.dir / "haproxy.cfg"
        site.write_text(render(text, replacements), encoding="utf-8")
        # A first file gives the harness a log (HAProxy merges every -f it is given, in order).
        harness = self.dir / "harness.cfg"
        harness.write_text("global\n    log stdout format raw local0\n", encoding="utf-8")
        files = ["-f", str(harness), "-f", str(site)]
        check = subprocess.run([binary, "-c", "-q", *files], capture_output=True, check=False)
        if check.returncode != 0:
            raise AssertionError(f"haproxy -c failed:\n{check.stderr.decode(errors='replace')}")
        return [binary, "-db", *files, "-p", str(self.pid_file)]

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Proxy:
        self._process = subprocess.Popen(
            self._argv, stdout=self._output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._accepting():
            # Waiting for the process doubles as the pause between attempts, and notices a
            # proxy that exits at once (a bad configuration).
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._process.wait(timeout=0.01)
                raise AssertionError(f"{self.kind} exited with {code}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"{self.kind} did not listen within {_START_TIMEOUT} s")
        return self

    def _accepting(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(("127.0.0.1", self.port))
            except OSError:
                return False
        return True

    def stop(self) -> None:
        """Stop the proxy by its pid (gracefully, so its log is complete), and wait for it."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGQUIT if self.kind == "nginx" else signal.SIGUSR1)
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(_STOP_TIMEOUT)
        self._output.close()

    def output(self) -> str:
        """What the proxy wrote to stdout and stderr (and nginx's error log)."""
        if not self._output.closed:
            self._output.flush()
        text = (self.dir / "output.log").read_text(errors="replace")
        error_log = self.dir / "error.log"
        if error_log.exists():
            text += error_log.read_text(errors="replace")
        return text

    def client_ports(self) -> list[int]:
        """The client's source port of each request, from the access log; call after stop()."""
        if self.kind == "nginx":
            lines = self.log.read_text().splitlines() if self.log.exists() else []
            return [int(line.split()[0]) for line in lines]
        # httplog lines of requests (not the readiness probe's bare connection, `<BADREQ>`).
        request = r'^127\.0\.0\.1:(\d+) .*"(?:GET|HEAD|POST|DELETE) '
        return [int(p) for p in re.findall(request, self.output(), re.MULTILINE)]

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def running(
    kind: str,
    config: Path,
    backends: Sequence[str | None],
    workdir: Path,
    extra: Mapping[str, str] | None = None,
) -> Iterator[Proxy]:
    """A started `Proxy`, stopped on exit."""
    with Proxy(kind, config, backends, workdir, extra) as proxy:
        yield proxy
