#!/usr/bin/env python3
"""hold.py VIA TARGET TLS DIR -- one keep-alive client connection for the
connection tests (tests/e2e/*-connections.sh): GET /peer on it, print
"peer ADDR" (what the server saw), create DIR/held, wait (10 s at most)
for DIR/go, then close the connection and exit.

VIA is "proxy:HOST:PORT" (through trawl: CONNECT when TLS is 1, else an
absolute-form request) or "direct" (a transparent capture takes it).
TARGET is HOST:PORT; TLS 1 speaks HTTPS without checking the certificate.
"""
import os
import socket
import ssl
import sys
import time


def main():
    via, target, tls, d = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
    host, port = target.rsplit(":", 1)
    if via == "direct":
        s = socket.create_connection((host, int(port)), timeout=5)
    else:
        ph, pp = via.split(":", 1)[1].rsplit(":", 1)
        s = socket.create_connection((ph, int(pp)), timeout=5)
    path = b"/peer"
    if tls:
        if via != "direct":
            s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                      ((target.encode(),) * 2))
            got = b""
            while b"\r\n\r\n" not in got:
                got += s.recv(4096)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname=host if not host[0].isdigit()
                            else None)
    elif via != "direct":
        path = b"http://" + target.encode() + path
    s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, target.encode()))
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(4096)
    head, body = got.split(b"\r\n\r\n", 1)
    n = int([l.split(b":")[1] for l in head.split(b"\r\n")
             if l.lower().startswith(b"content-length:")][0])
    while len(body) < n:
        body += s.recv(4096)
    print("peer", body.decode())
    sys.stdout.flush()
    open(os.path.join(d, "held"), "w").close()
    end = time.time() + 10
    while not os.path.exists(os.path.join(d, "go")) and time.time() < end:
        time.sleep(0.05)
    s.close()


if __name__ == "__main__":
    main()
