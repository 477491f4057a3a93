#!/usr/bin/env python3
"""h2relay.py PORT PROXYPORT HOST:PORT -- for clients with no proxy
setting (nghttp, h2load): every connection to 127.0.0.1:PORT becomes a
CONNECT HOST:PORT tunnel through the HTTP proxy on 127.0.0.1:PROXYPORT,
and the bytes are relayed both ways untouched."""
import socket
import sys
import threading


def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(c, proxy, target):
    try:
        u = socket.create_connection(("127.0.0.1", proxy))
        u.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                   % (target, target)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            d = u.recv(1)
            if not d:
                raise OSError("proxy closed")
            head += d
        if not head.startswith(b"HTTP/1.1 200"):
            raise OSError(head.decode(errors="replace"))
    except OSError as e:
        sys.stderr.write("h2relay: %s\n" % e)
        c.close()
        return
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
    pump(c, u)


def main():
    port, proxy, target = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port))
    l.listen(64)
    while True:
        c, _ = l.accept()
        threading.Thread(target=serve, args=(c, proxy, target),
                         daemon=True).start()


main()
