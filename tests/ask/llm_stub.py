"""A stand-in for an OpenAI-compatible server: a small HTTP server speaking chat completions,
answering from a script. The app talks to it through the real ``openai`` client."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StubLLM:
    def __init__(self) -> None:
        self.script: deque[tuple[int, str]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.default: tuple[int, str] | None = None  # answer when the script is empty
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                stub.requests.append({"path": self.path, "body": body,
                                      "auth": self.headers.get("Authorization")})
                status, content = stub.script.popleft() if stub.script else (stub.default or (500, "sin guion"))
                if status == 200:
                    payload = {
                        "id": f"chatcmpl-{len(stub.requests)}", "object": "chat.completion", "created": 0,
                        "model": body.get("model", ""),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": content}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                else:
                    payload = {"error": {"message": content, "type": "server_error", "code": None}}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer_sql(self, sql: str, explanation: str = "Consulta de prueba.") -> None:
        """Queue one answer in the JSON shape the app asks for."""
        self.script.append((200, json.dumps({"sql": sql, "explanation": explanation})))

    def answer_raw(self, content: str, status: int = 200) -> None:
        self.script.append((status, content))

    def user_messages(self, request: int = -1) -> list[str]:
        return [m["content"] for m in self.requests[request]["body"]["messages"] if m["role"] == "user"]
