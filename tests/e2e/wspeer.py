#!/usr/bin/python3
# wspeer.py -- a WebSocket server and a scripted client (python3-websockets)
# for the WebSocket end-to-end tests.
#
#   wspeer.py server [HOST:]PORT [CERT KEY]   (HOST 127.0.0.1 by default)
#       /echo answers every message with "echo:" + it (bytes as they are),
#       after greeting with "hello"; the message "close-me" makes it close
#       with 4001 "bye now".
#   wspeer.py client URL [--proxy PORT] [--ca FILE] [--no-deflate] STEP...
#       connects (through the proxy with CONNECT, or with an absolute-form
#       GET when --absolute), then runs the steps:
#         send:TEXT  bin:HEX  frag:A,B,C (one text message in fragments)
#         big:N (N random bytes, binary)
#         recv (prints "recv TEXT", "recv-bin HEX", or for more than 64
#         bytes "recv-bin-len N")  close:CODE:REASON
#         sleep:SECONDS  wait-close (prints "closed CODE REASON")
#       and prints "deflate yes|no" after the handshake.
import asyncio
import os
import socket
import ssl
import sys

import websockets
import websockets.client
import websockets.uri


async def echo(ws, path=None):
    await ws.send("hello")
    async for m in ws:
        if m == "close-me":
            await ws.close(4001, "bye now")
            return
        await ws.send("echo:" + m if isinstance(m, str) else m)


async def serve(where, cert, key):
    ctx = None
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    host, _, port = where.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    async with websockets.serve(echo, host, int(port), ssl=ctx,
                                max_size=2 ** 24):
        await asyncio.Future()


def tunnel(proxy, host, port, absolute):
    s = socket.create_connection(("127.0.0.1", proxy), timeout=10)
    if absolute:
        return s
    s.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" %
               (host, port, host, port)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        if not b:
            raise SystemExit("proxy closed during CONNECT")
        head += b
    if b" 200 " not in head.split(b"\r\n")[0]:
        raise SystemExit("CONNECT refused: %r" % head)
    return s


class AbsoluteProtocol(websockets.client.WebSocketClientProtocol):
    """Sends the request line in absolute form, as to a plain proxy."""
    url = None

    def write_http_request(self, path, headers):
        super().write_http_request(self.url, headers)


async def client(argv):
    url, proxy, ca, deflate, absolute, steps = argv[0], None, None, True, \
        False, []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--proxy":
            proxy = int(argv[i + 1]); i += 2; continue
        if a == "--ca":
            ca = argv[i + 1]; i += 2; continue
        if a == "--no-deflate":
            deflate = False
        elif a == "--absolute":
            absolute = True
        else:
            steps.append(a)
        i += 1
    u = websockets.uri.parse_uri(url)
    kw = {"compression": "deflate" if deflate else None,
          "open_timeout": 10, "close_timeout": 5, "max_size": 2 ** 24}
    if u.secure:
        ctx = ssl.create_default_context(cafile=ca)
        kw["ssl"] = ctx
        kw["server_hostname"] = u.host
    if proxy is not None:
        kw["sock"] = tunnel(proxy, u.host, u.port, absolute)
        kw["sock"].settimeout(None)
    if absolute:
        AbsoluteProtocol.url = url.replace("ws://", "http://", 1)
        kw["create_protocol"] = AbsoluteProtocol
    async with websockets.connect(url, **kw) as ws:
        ext = [e.name for e in ws.extensions]
        print("deflate", "yes" if "permessage-deflate" in ext else "no",
              flush=True)
        for st in steps:
            op, _, arg = st.partition(":")
            if op == "send":
                await ws.send(arg)
            elif op == "bin":
                await ws.send(bytes.fromhex(arg))
            elif op == "big":
                await ws.send(os.urandom(int(arg)))
            elif op == "frag":
                await ws.send(iter(arg.split(",")))
            elif op == "recv":
                m = await asyncio.wait_for(ws.recv(), 15)
                if isinstance(m, str):
                    print("recv", m, flush=True)
                elif len(m) > 64:
                    print("recv-bin-len", len(m), flush=True)
                else:
                    print("recv-bin", m.hex(), flush=True)
            elif op == "close":
                code, _, reason = arg.partition(":")
                await ws.close(int(code), reason)
            elif op == "sleep":
                await asyncio.sleep(float(arg))
            elif op == "wait-close":
                try:
                    await asyncio.wait_for(ws.wait_closed(), 15)
                except asyncio.TimeoutError:
                    pass
                print("closed", ws.close_code, ws.close_reason, flush=True)
    print("done", flush=True)


def main():
    if sys.argv[1] == "server":
        cert = sys.argv[3] if len(sys.argv) > 4 else None
        key = sys.argv[4] if len(sys.argv) > 4 else None
        asyncio.run(serve(sys.argv[2], cert, key))
    else:
        asyncio.run(client(sys.argv[2:]))


if __name__ == "__main__":
    main()
