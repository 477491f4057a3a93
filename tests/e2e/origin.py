#!/usr/bin/env python3
"""origin.py PORT [HOST [CERT KEY]] -- an HTTP/1.1 origin server for
trawl's tests; with CERT and KEY (PEM files) it speaks HTTPS.

Keep-alive by default. Paths choose odd behaviours:
  /len/N          N bytes of a repeating pattern (Content-Length)
  /chunked        a chunked body with a trailer
  /close          a body delimited by closing the connection
  /headers        the request head as received, as the body (any query)
  /echo           the request body back (POST/PUT), with its sha256 header
  /status/N       an empty response with status N
  /reset          closes the connection without answering
  /garbage        a malformed response head
  /conns          how many connections this server accepted
  /sleep/S        answers after S seconds
  /upgrade        with Upgrade: 101 Switching Protocols, then echoes bytes
  /drop-next      answers, then drops the next request on this connection
                  unanswered (a server closing an idle keep-alive connection)
  /peer           the address (ip:port) this request's connection came from
  /open           how many connections are open now (this one included)
  /cut/N          a head promising 2N bytes, N of them, then a reset
  /seq/NAME       answers NAME after 0.3 s, noting its arrival
  /seqlog         the NAMEs in arrival order, and the most at once ("peak=N")
"""
import hashlib
import http.server
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

conns = 0
lock = threading.Lock()
# Connections open now (/open): counted from setup to the handler's end.
open_now = 0
# Descriptors of /cut connections: closed with a reset alone, no FIN first.
cut = set()
seq, seq_busy, seq_peak = [], 0, 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        global conns, open_now
        with lock:
            conns += 1
            open_now += 1
        # TLS: the handshake runs here, in the connection's own thread, so
        # a client that never finishes one cannot hold up the others.
        try:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.settimeout(30)
                self.request.do_handshake()
                self.request.settimeout(None)
            super().setup()
        except BaseException:
            self.closed()
            raise

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.closed()

    def closed(self):
        global open_now
        with lock:
            open_now -= 1

    def send_body(self, body, status=200, ctype="application/octet-stream",
                  extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    drop_next = False

    def route(self):
        p = self.path
        if self.drop_next:
            self.close_connection = True
            return
        if p == "/upgrade" and self.headers.get("Upgrade"):
            self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\n"
                             b"Upgrade: " + self.headers["Upgrade"].encode() +
                             b"\r\nConnection: Upgrade\r\n\r\nready\n")
            self.wfile.flush()
            while True:
                b = self.connection.recv(65536)
                if not b:
                    break
                self.connection.sendall(b)
            self.close_connection = True
            return
        if p == "/drop-next":
            self.drop_next = True
            self.send_body(b"next one is dropped\n", ctype="text/plain")
        elif p.startswith("/len/"):
            n = int(p[5:])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            if self.command == "HEAD":
                return
            block = bytes(range(256)) * 256
            while n > 0:
                k = min(n, len(block))
                self.wfile.write(block[:k])
                n -= k
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Checksum")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world\n"):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Checksum: abc\r\n\r\n")
        elif p == "/close":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             b"Connection: close\r\n\r\nuntil the end\n")
            self.close_connection = True
        elif p.split("?")[0] == "/headers":  # a query tells requests apart
            head = self.requestline + "\r\n" + str(self.headers)
            self.send_body(head.encode(), ctype="text/plain")
        elif p == "/echo":
            body = self.read_body()
            self.send_body(body, extra=[("X-Sha256",
                                         hashlib.sha256(body).hexdigest())])
        elif p.startswith("/status/"):
            code = int(p[8:])
            self.send_response(code)
            if code not in (204, 304):
                self.send_header("Content-Length", "0")
            self.end_headers()
        elif p == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
        elif p == "/garbage":
            self.wfile.write(b"HTTP/1.1 2xx Nope\r\n\r\n")
            self.close_connection = True
        elif p == "/conns":
            self.send_body(str(conns).encode(), ctype="text/plain")
        elif p == "/peer":
            self.send_body(("%s:%d" % self.client_address[:2]).encode(),
                           ctype="text/plain")
        elif p == "/open":
            self.send_body(str(open_now).encode(), ctype="text/plain")
        elif p.startswith("/cut/"):
            n = int(p[5:])
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                             % (2 * n) + b"c" * n)
            self.wfile.flush()
            time.sleep(0.05)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            with lock:
                cut.add(self.connection.fileno())
            self.close_connection = True
        elif p.startswith("/sleep/"):
            time.sleep(float(p[7:]))
            self.send_body(b"slept\n", ctype="text/plain")
        elif p.startswith("/seq/"):
            self.seq(p[5:].split("?")[0])
        elif p == "/seqlog":
            with lock:
                log = " ".join(seq) + " peak=%d\n" % seq_peak
            self.send_body(log.encode(), ctype="text/plain")
        else:
            self.send_body(b"not found\n", status=404, ctype="text/plain")

    def seq(self, name):
        """Arrival order, and how many were in progress at once."""
        global seq_busy, seq_peak
        with lock:
            seq.append(name)
            seq_busy += 1
            seq_peak = max(seq_peak, seq_busy)
        time.sleep(0.3)
        with lock:
            seq_busy -= 1
        self.send_body(name.encode() + b"\n", ctype="text/plain")

    def do_GET(self):
        self.route()

    do_HEAD = do_GET
    do_DELETE = do_GET

    def do_POST(self):
        if self.path == "/echo":
            self.route()
        else:
            self.read_body()
            self.route()

    do_PUT = do_POST


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def shutdown_request(self, request):
        with lock:
            rst = request.fileno() in cut
            cut.discard(request.fileno())
        if rst:
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # Clients that give up mid-request (the churn tests) are expected.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


if __name__ == "__main__":
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    if ":" in host:
        Server.address_family = socket.AF_INET6
    srv = Server((host, int(sys.argv[1])), Handler)
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        ctx.set_alpn_protocols(["http/1.1"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    srv.serve_forever()
