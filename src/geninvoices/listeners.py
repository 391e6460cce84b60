"""A listening socket of its own for each ``serve`` worker, on one port (SO_REUSEPORT).

uvicorn's supervisor binds one socket and every worker accepts from it. Whichever worker
wakes first takes every connection waiting, so a client that opens its keep-alive
connections together (a connection pool, wrk) often lands them all on one worker while the
other idles: measured with 16 connections on 2 workers, 16/0, 15/1, 13/3 and 10/6 in four
runs, at 2,037 to 2,898 req/s (benchmarks/README.md). With a socket per worker bound with
SO_REUSEPORT, the kernel spreads new connections over the workers' sockets by a hash of the
connection's addresses and ports.

The supervisor stays uvicorn's (start, health checks, restarts, signals): it hands each worker
a ``PerWorkerSocket``, which the worker process turns into its own bound socket when it
unpickles it. The supervisor keeps one bound socket of the same group that never listens: it
holds the port for the server's whole life and is never given a connection.
"""

from __future__ import annotations

import logging
import socket

logger = logging.getLogger("uvicorn.error")


def reuse_port_socket(family: int, address: tuple) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


class PerWorkerSocket:
    """Stands for the socket each worker binds for itself: pickled to a worker process, it
    arrives there as a new socket bound to the same address (``__reduce__``)."""

    def __init__(self, host: str, port: int):
        family, _, _, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        self.family, self.address = family, address
        self.held = reuse_port_socket(family, address)  # bound, never listening

    def __reduce__(self):
        return reuse_port_socket, (self.family, self.held.getsockname())

    def close(self) -> None:
        self.held.close()


def serve_workers(config) -> None:
    """uvicorn's ``Multiprocess`` supervisor over ``config.workers`` workers, each with its
    own socket on ``config.host``:``config.port``."""
    from uvicorn.supervisors import Multiprocess

    listener = PerWorkerSocket(config.host, config.port)
    host, port = listener.held.getsockname()[:2]
    logger.info("Uvicorn running on http://%s:%d (Press CTRL+C to quit), a socket per worker",
                host, port)
    try:
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
