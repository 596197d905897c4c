"""`tandem serve`'s gunicorn (serve_commands, tandem.demo.gunicorn_worker): request lines xAPI clients need are
served, longer ones are answered 414 with the xAPI error JSON instead of gunicorn's HTML page."""

import json
import os
import socket
import subprocess
import time

from tandem.demo.gunicorn_worker import REQUEST_LINE_LIMIT
from tandem.demo.serving import serve_commands


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exchange(port: int, target: str) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 GET (urllib would refuse nothing, but a raw socket shows exactly what is sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_long_request_lines_are_served_and_too_long_ones_get_xapi_json(tmp_path):
    port = _free_port()
    web = serve_commands(host="127.0.0.1", port=port, workers=1)[0]
    assert web[web.index("--limit-request-line") + 1] == str(REQUEST_LINE_LIMIT) == "8190"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_TEST")}
    env.update(TANDEM_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.test")
    process = subprocess.Popen(web, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        answer = None
        while answer is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.3)
            try:
                answer = _exchange(port, "/xapi/about")
            except OSError:
                answer = None
        assert answer is not None and answer[0] == 200, (
            process.stdout.read().decode() if process.poll() else answer
        )
        # An 8 KiB request line (an agent and activity IRI as xAPI clients send them) reaches the LRS.
        padding = "a" * (8000 - len("GET /xapi/about?pad= HTTP/1.1"))
        status, _headers, body = _exchange(port, f"/xapi/about?pad={padding}")
        assert status == 200 and "version" in json.loads(body)
        # Beyond the limit: 414, as xAPI JSON with the version header, not gunicorn's HTML.
        status, headers, body = _exchange(port, "/xapi/activities/state?stateId=" + "s" * 9000)
        assert status == 414
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert headers["x-experience-api-version"] == "2.0.0"
        error = json.loads(body)
        assert error["error"].startswith(
            f"The request line is longer than the {REQUEST_LINE_LIMIT} bytes allowed"
        )
        assert error["rule"] == "URI Too Long"
    finally:
        process.terminate()
        process.wait(timeout=15)
