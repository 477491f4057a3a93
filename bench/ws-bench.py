#!/usr/bin/python3
# ws-bench.py URL PROXYPORT|- -- WebSocket figures through a proxy (CONNECT)
# or direct ("-"): round trips/s of 100-byte text messages (without
# compression), and MB/s of 1 MiB binary messages echoed back. Prints
# "RTT_PER_S MB_PER_S".
import asyncio
import os
import socket
import sys
import time

import websockets
import websockets.uri


def tunnel(proxy, host, port):
    s = socket.create_connection(("127.0.0.1", proxy), timeout=10)
    s.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" %
               (host, port, host, port)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    s.settimeout(None)
    return s


async def connect(url, proxy):
    u = websockets.uri.parse_uri(url)
    kw = {"compression": None, "max_size": 2 ** 24}
    if proxy != "-":
        kw["sock"] = tunnel(int(proxy), u.host, u.port)
    return await websockets.connect(url, **kw)


async def main(url, proxy):
    ws = await connect(url, proxy)
    await ws.recv()                         # the greeting
    n, msg = 3000, "x" * 100
    t = time.monotonic()
    for _ in range(n):
        await ws.send(msg)
        await ws.recv()
    rtt = n / (time.monotonic() - t)
    big, k = os.urandom(1 << 20), 64
    t = time.monotonic()
    for _ in range(k):
        await ws.send(big)
        await ws.recv()
    mbs = 2 * k * len(big) / 1e6 / (time.monotonic() - t)
    await ws.close()
    print("%.0f %.1f" % (rtt, mbs))


asyncio.run(main(sys.argv[1], sys.argv[2]))
