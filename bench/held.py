#!/usr/bin/python3
# held.py -- memory per held connection (issue 16). Opens N connections to
# PORT, each does one 1 KiB GET and then stays open, idle; prints the RSS
# growth of the measured processes over N, in bytes.
#
#   held.py PORT KIND TARGET N CAFILE PID...
#
# KIND: "proxy" (absolute-form GET through an HTTP proxy), "connect"
# (CONNECT TARGET, then TLS with CAFILE and a GET), "plain" (a relay: GET
# in origin form), "tls" (a TLS relay: TLS with CAFILE, then a GET).
# TARGET is host:port of the origin. The PIDs' RSS (and their children's:
# sslsplit forks) is summed. The first few connections warm up (leaf
# certificates, contexts, lazy tables) and are not counted.
import os
import socket
import ssl
import sys
import time

port, kind, target, n, cafile = sys.argv[1:6]
pids = sys.argv[6:]
n = int(n)
host, tport = target.rsplit(":", 1)
WARM = 10


def tree(pids):
    """The pids and their descendants."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        kids.setdefault(ppid, []).append(d)
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss():
    total = 0
    for p in tree(pids):
        try:
            with open("/proc/%s/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


ctx = None
if kind in ("connect", "tls"):
    ctx = ssl.create_default_context(cafile=cafile)


def one():
    s = socket.create_connection(("127.0.0.1", int(port)))
    if kind == "connect":
        s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n"
            % (target, target)).encode())
        got = b""
        while b"\r\n\r\n" not in got:
            b = s.recv(4096)
            if not b:
                sys.exit("CONNECT: connection closed")
            got += b
        if b" 200" not in got.split(b"\r\n", 1)[0]:
            sys.exit("CONNECT refused: %r" % got)
    if ctx is not None:
        s = ctx.wrap_socket(s, server_hostname=host)
    if kind == "proxy":
        req = "GET http://%s/1k HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)
    else:
        req = "GET /1k HTTP/1.1\r\nHost: %s\r\n\r\n" % target
    s.sendall(req.encode())
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 1024:
        b = s.recv(65536)
        if not b:
            sys.exit("connection closed before the answer")
        got += b
    if b" 200" not in got.split(b"\r\n", 1)[0]:
        sys.exit("bad answer: %r" % got[:80])
    return s


socks = [one() for i in range(WARM)]
time.sleep(0.5)
r0 = rss()
for i in range(n):
    socks.append(one())
# Let the proxy settle (deferred frees, idle timers that release buffers).
time.sleep(1)
r1 = rss()
print((r1 - r0) // n)
