import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def test_serve_runs_web_and_worker_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TANDEM_DATA_DIR"}
        and not key.startswith("TANDEM_TEST")
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tandem.cli",
            "--data-dir",
            str(tmp_path),
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while answer is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.3)
            answer = _get(f"http://127.0.0.1:{port}/health/")
        assert answer is not None, (
            process.stdout.read().decode() if process.poll() is not None else "no answer"
        )
        status, body = answer
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "sqlite"}
        assert process.poll() is None
        # Both children are running: gunicorn and the task worker.
        children = subprocess.run(
            ["ps", "-o", "args=", "--ppid", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout
        assert "gunicorn" in children and "db_worker" in children
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    output = process.stdout.read().decode()
    assert code == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert _get(f"http://127.0.0.1:{port}/health/") is None
