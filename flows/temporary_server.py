"""Prefect's temporary API server, in its own session and ending with the run that started it.

When no PREFECT_API_URL is set, a flow run asks Prefect for a temporary API
server (`SubprocessASGIServer`, a uvicorn process) and stops it at exit. Started
as Prefect starts it, it shares the terminal's process group, so a Ctrl-C
stopped the server while the run still reported to it (connection-refused
tracebacks, minutes of retries), and a SIGKILLed run left it running. Here it
gets a session of its own and watches the run's process (flows/lifeline.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

import prefect
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import get_current_settings


class TemporaryServer(SubprocessASGIServer):
    """Prefect's temporary API server (what `SubprocessASGIServer` starts when no PREFECT_API_URL is
    set), in its own session and ending with the process that started it.

    The command is Prefect 3.9.1's `_run_uvicorn_command`, run through `python -m flows.lifeline PID`.
    """

    def _run_uvicorn_command(self) -> subprocess.Popen:
        server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        return subprocess.Popen(
            args=[sys.executable, "-m", "flows.lifeline", str(os.getpid()), "uvicorn",
                  "--app-dir", str(prefect.__module_path__.parent),
                  "--factory", "prefect.server.api.server:create_app",
                  "--host", "127.0.0.1", "--port", str(self.port),
                  "--log-level", "error", "--lifespan", "on"],
            env={**os.environ, **server_env, **get_current_settings().to_environment_variables(exclude_unset=True)},
            start_new_session=True,
        )


def use_temporary_server() -> None:
    """Make the temporary API server Prefect starts in this process a `TemporaryServer`.

    Prefect keeps one `SubprocessASGIServer` per port and asks for the one of port None;
    creating ours first makes it that one (prefect.testing's harness does the same). A
    server started already is left as it is.
    """
    TemporaryServer()
