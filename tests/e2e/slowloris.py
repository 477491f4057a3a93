#!/usr/bin/env python3
"""slowloris.py PROXY ORIGIN LIMIT N OUT -- clients that trickle request
heads into trawl's regular mode one byte a second (tests/e2e/
regular-slowloris.sh), all at once:

  N plain ones        an absolute-form head, never finished in time
  one keep-alive one  a whole request first, then a trickled second head
  one in a tunnel     CONNECT, "GET " at once, then the rest trickled

Each head is longer than 2 * LIMIT bytes; a client gives up LIMIT + 8 s
after its first trickled byte. OUT gets one JSON object per client: what
it sent, how long it had been trickling and the first line trawl
answered."""
import json
import socket
import sys
import threading
import time


def trickle(s, head, limit, r):
    """Sends head a byte a second until an answer, the end of the
    connection or the give-up time."""
    start = time.monotonic()
    sent = 0
    data = b""
    closed = False
    s.setblocking(False)
    while not data and not closed and time.monotonic() - start < limit + 8:
        if sent < len(head):
            try:
                s.send(head[sent:sent + 1])
                sent += 1
            except BlockingIOError:
                pass
            except OSError:
                closed = True
        t = time.monotonic()
        while not closed and time.monotonic() - t < 1:
            try:
                d = s.recv(4096)
            except BlockingIOError:
                if data:
                    break
                time.sleep(0.05)
                continue
            except OSError:
                closed = True
                break
            if not d:
                closed = True
                break
            data += d
    r.update(sent=sent, head=len(head), after=round(time.monotonic() - start, 1),
             answer=data.split(b"\r\n")[0].decode("latin1"),
             body=data.split(b"\r\n\r\n", 1)[-1].decode("latin1"))


def head_for(target, limit):
    return ("GET %s HTTP/1.1\r\nHost: x\r\nX-Slow: %s\r\n\r\n"
            % (target, "a" * (2 * limit))).encode()


def plain(proxy, origin, limit, r):
    s = socket.create_connection(proxy)
    r["client"] = "%s:%d" % s.getsockname()[:2]
    trickle(s, head_for("http://%s:%d/len/1" % origin, limit), limit, r)


def keepalive(proxy, origin, limit, r):
    s = socket.create_connection(proxy, timeout=5)
    r["client"] = "%s:%d" % s.getsockname()[:2]
    s.sendall(b"GET http://%s:%d/len/3 HTTP/1.1\r\nHost: x\r\n\r\n" % (
        origin[0].encode(), origin[1]))
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 3:
        d = s.recv(4096)
        if not d:
            break
        got += d
    r["first"] = got.split(b"\r\n")[0].decode("latin1")
    time.sleep(2)   # an idle keep-alive connection, then a slow head
    trickle(s, head_for("http://%s:%d/len/1" % origin, limit), limit, r)


def tunnel(proxy, origin, limit, r):
    s = socket.create_connection(proxy, timeout=5)
    r["client"] = "%s:%d" % s.getsockname()[:2]
    s.sendall(b"CONNECT %s:%d HTTP/1.1\r\n\r\n" % (origin[0].encode(), origin[1]))
    got = b""
    while b"\r\n\r\n" not in got:
        d = s.recv(4096)
        if not d:
            break
        got += d
    r["connect"] = got.split(b"\r\n")[0].decode("latin1")
    # Enough for the sniffer to see HTTP, then the rest a byte a second.
    h = head_for("/len/1", limit)
    s.sendall(h[:4])
    trickle(s, h[4:], limit, r)


def main(a):
    proxy = ("127.0.0.1", int(a[1]))
    origin = ("127.0.0.1", int(a[2]))
    limit, n, out = int(a[3]), int(a[4]), a[5]
    jobs = [("plain%d" % i, plain) for i in range(n)]
    jobs += [("keepalive", keepalive), ("tunnel", tunnel)]
    res = {name: {} for name, _ in jobs}
    ts = []
    for name, fn in jobs:
        t = threading.Thread(target=fn, args=(proxy, origin, limit, res[name]))
        t.start()
        ts.append(t)
    for t in ts:
        t.join()
    json.dump(res, open(out, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv)
