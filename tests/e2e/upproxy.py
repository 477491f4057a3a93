#!/usr/bin/env python3
"""upproxy.py PORT LOG [USER:PASS] -- a small HTTP proxy for trawl's
upstream-mode tests: absolute-form requests are forwarded (one per
connection), CONNECT is tunnelled. With USER:PASS, a request without that
Proxy-Authorization: Basic gets 407. Each request line, and the
Proxy-Authorization it carried, is appended to LOG.
"""
import base64
import socket
import socketserver
import sys
import threading
import urllib.parse


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode("latin-1").rstrip("\r\n")
        head = []
        auth = "-"
        while True:
            h = self.rfile.readline().decode("latin-1")
            if h in ("\r\n", "\n", ""):
                break
            name, _, value = h.partition(":")
            if name.strip().lower() == "proxy-authorization":
                auth = value.strip()
            else:
                head.append(h)
        with open(sys.argv[2], "a") as f:
            f.write("%s auth=%s\n" % (line, auth))
        if WANT is not None and auth != WANT:
            self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic\r\n"
                             b"Content-Length: 0\r\n\r\n")
            return
        method, target, _ = line.split(" ", 2)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            try:
                up = socket.create_connection((host.strip("[]"), int(port)))
            except OSError:
                self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                return
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            t = threading.Thread(target=pipe, args=(up, self.connection))
            t.start()
            pipe(self.connection, up)
            t.join()
            return
        u = urllib.parse.urlsplit(target)
        up = socket.create_connection((u.hostname, u.port or 80))
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        req = "%s %s HTTP/1.1\r\n" % (method, path)
        req += "".join(h for h in head if not h.lower().startswith(
            ("connection:", "proxy-connection:")))
        req += "Connection: close\r\n\r\n"
        up.sendall(req.encode("latin-1"))
        n = 0
        for h in head:
            if h.lower().startswith("content-length:"):
                n = int(h.split(":", 1)[1])
        if n:
            up.sendall(self.rfile.read(n))
        while True:
            d = up.recv(65536)
            if not d:
                break
            self.wfile.write(d)
        up.close()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


WANT = None
if __name__ == "__main__":
    if len(sys.argv) > 3:
        WANT = "Basic " + base64.b64encode(sys.argv[3].encode()).decode()
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
