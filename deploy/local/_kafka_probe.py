"""Dependency-free Kafka readiness probe (plain sockets, stdlib only).

    python3 _kafka_probe.py HOST:PORT [TIMEOUT_SECONDS]

Sends ApiVersions v0, then a Metadata request (a non-flexible version, v4..v8, chosen
from the broker's advertised range) and exits 0 once the broker lists itself in the
metadata response (i.e. the KRaft broker is registered/unfenced and serving requests).
Exit 1 otherwise; one reason line on stderr.
"""

from __future__ import annotations

import socket
import struct
import sys

API_METADATA = 3
API_VERSIONS = 18


class Probe(Exception):
    pass


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Probe("connection closed by broker")
        buf += chunk
    return bytes(buf)


def _request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    client_id = b"ww-probe"
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    msg = header + body
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    resp = _recv_exact(sock, size)
    (rcorr,) = struct.unpack(">i", resp[:4])
    if rcorr != corr:
        raise Probe(f"correlation id mismatch ({rcorr} != {corr})")
    return resp[4:]


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        vals = struct.unpack(fmt, self.data[self.pos : self.pos + size])
        self.pos += size
        return vals[0] if len(vals) == 1 else vals

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return s


def probe(host: str, port: int, timeout: float) -> str:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        r = Reader(_request(sock, API_VERSIONS, 0, 1, b""))
        err = r.take(">h")
        if err:
            raise Probe(f"ApiVersions error code {err}")
        ranges = {}
        for _ in range(r.take(">i")):
            key, lo, hi = r.take(">hhh")
            ranges[key] = (lo, hi)
        if API_METADATA not in ranges:
            raise Probe("broker does not advertise Metadata")
        lo, hi = ranges[API_METADATA]
        version = min(hi, 8)
        if version < max(lo, 4):
            raise Probe(f"no non-flexible Metadata version in broker range {lo}..{hi}")
        body = struct.pack(">i?", -1, False)  # all topics, no auto-create
        if version >= 8:
            body += struct.pack(">??", False, False)
        r = Reader(_request(sock, API_METADATA, version, 2, body))
        r.take(">i")  # throttle_time_ms
        brokers = []
        for _ in range(r.take(">i")):
            node_id = r.take(">i")
            bhost = r.string()
            bport = r.take(">i")
            r.string()  # rack
            brokers.append((node_id, bhost, bport))
        cluster_id = r.string()
        if not brokers:
            raise Probe("metadata lists no brokers yet")
        return f"cluster {cluster_id}, brokers {brokers}, metadata v{version}"


def main() -> int:
    hostport = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    host, _, port = hostport.rpartition(":")
    try:
        info = probe(host or "127.0.0.1", int(port), timeout)
    except (OSError, Probe, struct.error) as exc:
        print(f"kafka probe {hostport}: {exc}", file=sys.stderr)
        return 1
    print(info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
