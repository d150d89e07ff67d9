"""An HTTP MJPEG camera (multipart/x-mixed-replace, as cheap IP cameras serve it) on 127.0.0.1, in a thread.

Serves the given JPEG images in a loop at `fps` to every client, each client from the first image."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOUNDARY = b"frame"


class MjpegHttpServer:
    def __init__(self, jpegs: Sequence[bytes], fps: float = 25.0, port: int = 0) -> None:
        self.jpegs = list(jpegs)
        self.fps = fps
        self.port = port
        self.url = ""
        self._stopped = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        """Listen (on the port of the previous start, if any) and return the stream URL."""
        self._stopped.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/stream.mjpg"
        threading.Thread(target=self._server.serve_forever, name="mjpeg-http", daemon=True).start()
        return self.url

    def stop(self) -> None:
        """Stop listening and end every stream being served (their connections close)."""
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        jpegs, interval, stopped = self.jpegs, 1.0 / self.fps, self._stopped

        class StreamHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
                self.end_headers()
                index = 0
                try:
                    while not stopped.wait(interval):
                        jpeg = jpegs[index % len(jpegs)]
                        self.wfile.write(b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n"
                                         % (BOUNDARY, len(jpeg), jpeg))
                        index += 1
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client went away

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: a test run is no place for an access log."""

        return StreamHandler
