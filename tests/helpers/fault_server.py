"""A small OpenAI-shaped HTTP server that misbehaves on purpose, for fault tests.

Fault injection is the one place a hand-made server is right: each request takes the
next behaviour from a script ("429", "500", "garbage", "slow", "drop", "ok").
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def ok_body(text: str = "fine", reasoning: str | None = None) -> dict:
    msg = {"role": "assistant", "content": text}
    if reasoning:
        msg["reasoning_content"] = reasoning
    return {
        "id": "x",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 8}},
    }


class FaultServer:
    """Serves a script of behaviours; records the requests it got."""

    def __init__(self, script: list[str], *, slow_seconds: float = 2.0, ok_text: str = "fine", ok_json=None) -> None:
        self.script = list(script)
        self.slow_seconds = slow_seconds
        self.ok_text = ok_text
        # ok_json(path, request_body) -> response body, for non-OpenAI API shapes.
        self.ok_json = ok_json
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                    action = server.script.pop(0) if server.script else "ok"
                if action == "drop":
                    self.connection.shutdown(2)  # close without any answer
                    return
                if action == "slow":
                    time.sleep(server.slow_seconds)
                    action = "ok"
                if action == "429":
                    self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"})
                elif action == "500":
                    self._send(500, {"error": {"message": "boom"}})
                elif action == "400":
                    self._send(400, {"error": {"message": "context too long"}})
                elif action == "garbage":
                    raw = b"<html>502 upstream oops"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                elif server.ok_json is not None:
                    self._send(200, server.ok_json(self.path, body))
                else:
                    self._send(200, ok_body(server.ok_text))

            def _send(self, code, obj, headers=None):
                raw = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"{self.root}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
