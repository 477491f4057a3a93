#!/usr/bin/env python3
"""tlshello.py -- TLS ClientHellos that test trawl's sniffer
(tests/e2e/*-tls-sniff.sh). Each client prints one line,
"client ADDR:PORT ...", so the test can find its flow in --dump.

  split VIA TARGET CAFILE PAUSE PATH   a real handshake (python's ssl over a
                                       MemoryBIO, trusting CAFILE) whose
                                       ClientHello goes out in two parts
                                       PAUSE seconds apart, then GET PATH
  bad VIA TARGET KIND                  a hand-built ClientHello trawl cannot
                                       parse: KIND is empty-sni, long-sni or
                                       nul-sni (ignored-sni, a good one for
                                       --ignore-hosts); prints what came back
  cut VIA TARGET                       part of a ClientHello, then close
  stall VIA TARGET SECONDS             part of a ClientHello, then silence
                                       until trawl closes (at most SECONDS)
  server ADDR PORT LOG                 a stand-in TLS server: logs the
                                       SHA-256 of the first record it reads,
                                       answers with a handshake_failure alert

VIA is "connect:HOST:PORT" (through trawl's CONNECT) or "direct" (straight
to TARGET: a transparent capture takes it).
"""
import hashlib
import os
import socket
import ssl
import struct
import sys
import threading
import time


def split_hp(s):
    h, p = s.rsplit(":", 1)
    return h.strip("[]"), int(p)


def connect(via, target, timeout=5):
    if via == "direct":
        s = socket.create_connection(split_hp(target), timeout=timeout)
    else:
        s = socket.create_connection(split_hp(via.split(":", 1)[1]), timeout=timeout)
        s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % ((target.encode(),) * 2))
        got = b""
        while b"\r\n\r\n" not in got:
            d = s.recv(4096)
            if not d:
                raise OSError("proxy closed the CONNECT")
            got += d
        if not got.startswith(b"HTTP/1.1 200"):
            raise OSError("CONNECT refused: %r" % got[:40])
    print("client %s:%d" % s.getsockname()[:2], flush=True)
    return s


def ext(kind, body):
    return struct.pack("!HH", kind, len(body)) + body


def vec8(b):
    return bytes([len(b)]) + b


def vec16(b):
    return struct.pack("!H", len(b)) + b


def hand_hello(sni):
    """A TLS 1.3 ClientHello built field by field, with server_name
    host_name sni (any bytes, any length)."""
    exts = b"".join([
        ext(0, vec16(b"\x00" + vec16(sni))),                    # server_name
        ext(10, vec16(struct.pack("!HH", 0x001d, 0x0017))),      # groups
        ext(13, vec16(struct.pack("!HHH", 0x0403, 0x0804, 0x0401))),
        ext(43, vec8(struct.pack("!HH", 0x0304, 0x0303))),      # versions
        ext(45, vec8(b"\x01")),                                  # psk modes
        ext(51, vec16(struct.pack("!HH", 0x001d, 32) + os.urandom(32))),
    ])
    body = (b"\x03\x03" + os.urandom(32) + vec8(os.urandom(32)) +
            vec16(struct.pack("!HHHH", 0x1301, 0x1302, 0x1303, 0xc02f)) +
            vec8(b"\x00") + vec16(exts))
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + vec16(hs)


def real_hello(name, cafile=None):
    """python's own ClientHello for name, and the objects to go on with."""
    ctx = ssl.create_default_context(cafile=cafile)
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read(), obj, inc, out


def pump(s, obj, inc, out, op):
    """Runs op on the ssl object over socket s until it no longer wants
    to read."""
    while True:
        try:
            r = op()
            if out.pending:
                s.sendall(out.read())
            return r
        except ssl.SSLWantReadError:
            if out.pending:
                s.sendall(out.read())
            d = s.recv(65536)
            if not d:
                inc.write_eof()
            else:
                inc.write(d)


def cmd_split(via, target, cafile, pause, path):
    host = split_hp(target)[0]
    hello, obj, inc, out = real_hello(host, cafile)
    s = connect(via, target)
    half = len(hello) // 2
    s.sendall(hello[:half])
    time.sleep(float(pause))
    s.sendall(hello[half:])
    try:
        pump(s, obj, inc, out, obj.do_handshake)
        issuer = dict(x[0] for x in obj.getpeercert()["issuer"])
        obj.write(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                  % (path.encode(), host.encode()))
        s.sendall(out.read())
        data = b""
        while True:
            try:
                d = pump(s, obj, inc, out, lambda: obj.read(65536))
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
            if not d:
                break
            data += d
        print("issuer %s" % issuer.get("commonName"))
        print("status %s" % data.split(b"\r\n")[0].decode())
    except (ssl.SSLError, OSError) as e:
        print("handshake failed: %s" % e)


def cmd_bad(via, target, kind):
    sni = {"empty-sni": b"", "long-sni": b"a" * 1000,
           "nul-sni": b"www\x00.example",
           "ignored-sni": b"ignored.example"}[kind]
    hello = hand_hello(sni)
    s = connect(via, target)
    s.sendall(hello)
    print("sent %d bytes sha256 %s" % (len(hello), hashlib.sha256(hello).hexdigest()))
    s.settimeout(3)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    print("got %s" % data.hex())


def cmd_cut(via, target):
    hello = real_hello("localhost")[0]
    s = connect(via, target)
    s.sendall(hello[:40])
    time.sleep(0.2)
    s.close()


def cmd_stall(via, target, seconds):
    hello = real_hello("localhost")[0]
    s = connect(via, target)
    s.sendall(hello[:40])
    s.settimeout(float(seconds))
    t = time.monotonic()
    try:
        d = s.recv(100)
        print("closed by trawl after %.0f s (%d bytes)" % (time.monotonic() - t, len(d)))
    except socket.timeout:
        print("still open after %s s" % seconds)
    except OSError as e:
        print("closed by trawl after %.0f s (%s)" % (time.monotonic() - t, e))


def cmd_server(addr, port, log):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    l = socket.socket(fam, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, int(port)))
    l.listen(64)
    lock = threading.Lock()

    def conn(c):
        c.settimeout(5)
        data = b""
        try:
            while len(data) < 5 or len(data) < 5 + struct.unpack("!H", data[3:5])[0]:
                d = c.recv(65536)
                if not d:
                    break
                data += d
            with lock, open(log, "a") as f:
                f.write("got %d bytes sha256 %s\n" % (len(data), hashlib.sha256(data).hexdigest()))
            c.sendall(b"\x15\x03\x03\x00\x02\x02\x28")
        except OSError:
            pass
        c.close()

    while True:
        c, _ = l.accept()
        threading.Thread(target=conn, args=(c,), daemon=True).start()


def main(a):
    cmds = {"split": cmd_split, "bad": cmd_bad, "cut": cmd_cut,
            "stall": cmd_stall, "server": cmd_server}
    if len(a) < 2 or a[1] not in cmds:
        print(__doc__)
        return 2
    cmds[a[1]](*a[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
