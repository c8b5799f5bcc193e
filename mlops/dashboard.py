"""The ZenML dashboard, offline on 127.0.0.1, without touching the project's store.

    python -m mlops.dashboard start [PORT] | stop

`zenml login --local` would rewrite the project's ZenML config to go through a background
server, and every command fails after ~30 s once that server dies. Here the server runs in its
own process group (`--blocking`), reading the same SQLite store, and the config is left alone;
`stop` ends it. If the config was rewritten anyway, `check_store` puts it back.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from signbridge import workspace
from signbridge.errors import SignbridgeError

PORT = 8237


def _folder() -> Path:
    return workspace.home() / "dashboard"


def _pid_file() -> Path:
    return _folder() / "dashboard.pid"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:  # noqa: S310
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(port: int = PORT, timeout: float = 120.0) -> str:
    url = f"http://127.0.0.1:{port}"
    if _answers(url):
        return url
    from mlops.stack import ensure_local_stack

    ensure_local_stack()  # the store exists before its dashboard does
    _skip_onboarding_survey()
    _folder().mkdir(parents=True, exist_ok=True)
    zenml = Path(sys.executable).with_name("zenml")
    with (_folder() / "dashboard.log").open("ab") as log:
        server = subprocess.Popen(
            [str(zenml), "login", "--local", "--blocking", "--port", str(port),
             "--ip-address", "127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    _pid_file().write_text(str(server.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SignbridgeError(f"the dashboard exited at start; see {_folder() / 'dashboard.log'}")
        if _answers(url):
            return url
        time.sleep(1)
    stop()
    raise SignbridgeError(f"the dashboard did not answer within {timeout:.0f} s")


def stop() -> bool:
    """End the dashboard's process group; returns whether one was running."""
    try:
        pid = int(_pid_file().read_text())
    except (FileNotFoundError, ValueError):
        return False
    _pid_file().unlink(missing_ok=True)
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def _skip_onboarding_survey() -> None:
    """The dashboard opens on a sign-up survey for a new user; this project has one user."""
    from zenml.client import Client

    Client().update_user("default", updated_email_opt_in=False,
                         updated_metadata={"finished_onboarding_survey": True})


def check_store() -> str | None:
    """If the project's ZenML config points at a local server that no longer answers (someone ran
    `zenml login --local` and the server died), point it back at the SQLite store and say so.
    Reads one file and tries one socket: no ZenML import unless something must be fixed."""
    import yaml

    config = workspace.zenml_config_dir() / "config.yaml"
    if not config.is_file():
        return None
    store = (yaml.safe_load(config.read_text()) or {}).get("store") or {}
    address = urlparse(store.get("url", ""))
    if store.get("type") != "rest" or address.hostname not in ("127.0.0.1", "localhost"):
        return None
    try:
        with socket.create_connection((address.hostname, address.port or 80), timeout=0.5):
            return None
    except OSError:
        pass
    from zenml.config.global_config import GlobalConfiguration

    GlobalConfiguration().set_default_store()
    return (f"note: the ZenML config pointed at a local dashboard server that is gone "
            f"({address.geturl()}); it uses the project's own store again. Start the dashboard "
            "with `make dashboard`.")


def main(argv: list[str] | None = None) -> int:
    workspace.configure_environment()
    command, *rest = argv or sys.argv[1:] or ["start"]
    if command == "stop":
        print("dashboard stopped" if stop() else "dashboard was not running")
        return 0
    try:
        url = start(int(rest[0]) if rest else PORT)
    except SignbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"ZenML dashboard: {url}  (runs, DAGs, step logs, metadata, artifact visualizations)")
    print("Stop: make dashboard-stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
