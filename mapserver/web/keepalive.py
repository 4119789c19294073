"""gunicorn's threaded worker, where the thread that answered a kept-alive connection serves its next request.

gunicorn's gthread worker hands each kept-alive connection back to the worker's main thread after every
answer: the main thread polls it, and hands the next request to a pool thread again. Two hand-offs between
threads a request, each a wake-up under the GIL. Measured under 8 keep-alive clients (as `make bench`
loads it), they were almost half of the worker's context switches (8 -> 4.5 a request) and 10-20 % of
its CPU a request. Here the thread that answered waits up to LINGER_MS for the same client's next
request and serves it itself; when none comes, the connection goes back to the poller as before. It only
waits while no other connection is waiting for a thread, so one busy client cannot starve the others.

`gunicorn.conf.py` selects it; `--worker-class gthread` brings back gunicorn's own.
"""

from __future__ import annotations

import select
import threading

from gunicorn.workers.gthread import ThreadWorker

# Long enough for a client or proxy that already has its next request (under load it comes within a
# millisecond or two); short, as a request queued behind lingering threads can wait this long for one.
LINGER_MS = 10


class KeepAliveThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._waiting = 0  # connections handed to the pool and not yet taken up by a thread
        self._waiting_lock = threading.Lock()

    def enqueue_req(self, conn) -> None:
        with self._waiting_lock:
            self._waiting += 1
        super().enqueue_req(conn)

    def handle(self, conn):
        """Serve requests on `conn` while its client keeps them coming and nobody waits for this thread."""
        with self._waiting_lock:
            self._waiting -= 1
        keep = super().handle(conn)
        while keep is True and self.alive and not self._waiting and not conn.is_http2 and _next_request(conn):
            keep = super().handle(conn)
        return keep


def _next_request(conn) -> bool:
    """Whether the client has sent more (or closed) within LINGER_MS; bytes read ahead count at once."""
    if conn.parser.unreader.buf.getvalue():
        return True
    poll = select.poll()
    poll.register(conn.sock, select.POLLIN)
    return bool(poll.poll(LINGER_MS))
