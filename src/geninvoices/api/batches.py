"""Read calls gathered into batches (benchmarks/README.md, "api_php.sh").

A read action from a caller whose secret was verified lately (``Authenticator.admit``) needs
its allow-list and lockout check and its read, nothing else. Calls that arrive while a read
thread is busy wait in ``pending``; the thread then takes all of them and answers them in ONE
read transaction: one connection checkout, one BEGIN and one COMMIT for the batch, and one
wake-up of the event loop to hand back the answers. Each call still gets its own gate query
(allow-list and lockout counted from the database, so a lockout reached through another worker
binds at once) and its own read, and the transaction begins after every call in it arrived,
so each sees everything committed before it was sent.

On SQLite the reads are CPU work in this process: threads would only take turns on the GIL, so
one thread serves them. A database server is waited on over the network, so a few threads
drain the queue side by side there.

A call ``admit`` cannot answer from memory (a secret to verify, an action that is no read)
comes back as ``None`` and goes the ordinary way, on the front door's other threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from ..db import transaction

# (params, address, the future its answer goes to)
Call = tuple[dict, str, asyncio.Future]


SERVER_THREADS = 4  # the most read threads an engine gets (a database server's)


def threads_for(engine: Engine) -> int:
    return 1 if engine.dialect.name == "sqlite" else SERVER_THREADS


class ReadBatches:
    def __init__(self, engine: Engine, answer_in: Callable, answer_alone: Callable):
        """``answer_in(conn, params, address)``: a Reply, or None when the call needs the
        ordinary path; ``answer_alone(params, address)``: the call in a transaction of its
        own (after a database error broke the batch's)."""
        self.engine = engine
        self.answer_in, self.answer_alone = answer_in, answer_alone
        self.most = threads_for(engine)
        self.threads = ThreadPoolExecutor(self.most, thread_name_prefix="geninvoices-read")
        self.pending: list[Call] = []
        self.draining = 0
        self.lock = threading.Lock()

    async def answer(self, params: dict, address: str):
        future = asyncio.get_running_loop().create_future()
        with self.lock:
            self.pending.append((params, address, future))
            start = self.draining < self.most
            if start:
                self.draining += 1
        if start:
            self.threads.submit(self._drain)
        return await future

    def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)

    def _drain(self) -> None:
        while True:
            with self.lock:
                batch, self.pending = self.pending, []
                if not batch:
                    self.draining -= 1
                    return
            _deliver(self._answer_batch(batch))

    def _answer_batch(self, batch: list[Call]) -> list[tuple[asyncio.Future, object]]:
        answers: list[tuple[asyncio.Future, object]] = []
        try:
            with transaction(self.engine, write=False) as conn:
                for params, address, future in batch:
                    answers.append((future, self.answer_in(conn, params, address)))
        except Exception:  # noqa: BLE001 - the database failed: each call alone tells its own
            answers = [(future, self.answer_alone(params, address))
                       for params, address, future in batch]
        return answers


def _deliver(answers: list[tuple[asyncio.Future, object]]) -> None:
    """Each answer to its caller's event loop: one wake-up per loop (a worker has one; tests
    may run one per call, and a loop that has closed meanwhile has no caller left)."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for future, reply in answers:
        by_loop.setdefault(future.get_loop(), []).append((future, reply))
    for loop, theirs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # "Event loop is closed"
            loop.call_soon_threadsafe(_set_results, theirs)


def _set_results(answers: list[tuple[asyncio.Future, object]]) -> None:
    for future, reply in answers:
        if not future.done():  # a caller that left has its future cancelled
            future.set_result(reply)
