#!/usr/bin/env python3
"""abandon.py VIA HTTP HTTPS DEAD K [KIND...] -- clients that give up at
every stage of a connection, K of each KIND (all kinds by default), for
the churn tests (tests/e2e/*-churn.sh) and bench/soak.sh.

VIA is "proxy:HOST:PORT" (trawl's explicit proxy: CONNECT for TLS,
absolute-form requests) or "direct" (straight to the targets: a
transparent capture takes them). HTTP and HTTPS are HOST:PORT of
origin.py over HTTP and over TLS (HTTPS's HOST is also the SNI when it
is a name); DEAD is a HOST:PORT nobody listens on.

Kinds:
  connect-close      CONNECT (or a bare TCP connection to HTTPS), close
  connect-parthello  the same, then part of a ClientHello, close
  hello-close        a whole ClientHello, close before the server's answer
  handshake-close    a finished TLS handshake, close before any request
  half-head          half a request head, close
  half-upload        a POST promising 200,000 bytes, half of them, close
  abort-http         a 20 MB GET, close after 64 KiB (a reset or a FIN)
  abort-https        the same over TLS
  refused            a request (and a CONNECT) to DEAD
  cut                GET /cut/100000: the server resets mid-response

Prints "KIND done N" per kind; every socket has a timeout, so nothing
hangs. Exit status 0 unless a client could not even start.
"""
import concurrent.futures
import socket
import ssl
import struct
import sys

VIA = HTTP = HTTPS = DEAD = None
TIMEOUT = 5


def split_hp(s):
    h, p = s.rsplit(":", 1)
    return h.strip("[]"), int(p)


def is_name(host):
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET,
                         host)
        return False
    except OSError:
        return True


def read_head(s):
    got = b""
    while b"\r\n\r\n" not in got:
        d = s.recv(4096)
        if not d:
            break
        got += d
    return got


def open_to(target, tunnel):
    """A connection toward target: through trawl (CONNECT when tunnel) or
    straight."""
    if VIA == "direct":
        return socket.create_connection(split_hp(target), timeout=TIMEOUT)
    s = socket.create_connection(split_hp(VIA.split(":", 1)[1]),
                                 timeout=TIMEOUT)
    if tunnel:
        s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                  ((target.encode(),) * 2))
    return s


def tunnel_ready(s):
    if VIA != "direct" and not read_head(s).startswith(b"HTTP/1.1 200"):
        raise OSError("CONNECT refused")


def request(target, path, method="GET", extra=b""):
    """A request line and head for target (absolute-form via the proxy)."""
    host = target.encode()
    url = (b"http://" + host + path) if VIA != "direct" else path
    return (b"%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" %
            (method.encode(), url, host, extra))


def tls_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def sni():
    h = split_hp(HTTPS)[0]
    return h if is_name(h) else None


def client_hello():
    """The bytes of a real ClientHello (python's ssl over a MemoryBIO)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = tls_ctx().wrap_bio(inc, out, server_hostname=sni())
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def tls_to(target):
    s = open_to(target, True)
    tunnel_ready(s)
    return tls_ctx().wrap_socket(s, server_hostname=sni())


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def drain_close(s):
    """Takes what has arrived, then closes: a FIN, with the response still
    coming (the peer's next segment gets a reset)."""
    s.setblocking(False)
    try:
        while s.recv(1 << 20):
            pass
    except (BlockingIOError, ssl.SSLWantReadError, OSError):
        pass
    s.close()


def k_connect_close(i):
    s = open_to(HTTPS, True)
    if i % 2:
        tunnel_ready(s)
    s.close()


def k_connect_parthello(i):
    s = open_to(HTTPS, True)
    tunnel_ready(s)
    s.sendall(client_hello()[:20 + i % 60])
    s.close()


def k_hello_close(i):
    s = open_to(HTTPS, True)
    tunnel_ready(s)
    s.sendall(client_hello())
    if i % 2:
        reset(s)
    else:
        s.close()


def k_handshake_close(i):
    t = tls_to(HTTPS)
    if i % 2:
        reset(t)
    else:
        t.close()


def k_half_head(i):
    s = open_to(HTTP, False)
    r = request(HTTP, b"/len/10")
    s.sendall(r[:len(r) // 2])
    s.close()


def k_half_upload(i):
    s = open_to(HTTP, False)
    s.sendall(request(HTTP, b"/echo", "POST",
                      b"Content-Length: 200000\r\n") + b"u" * 100000)
    if i % 2:
        reset(s)
    else:
        s.close()


def abort_mid(s, i):
    got = 0
    while got < 65536:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
    if i % 2:
        reset(s)
    else:
        drain_close(s)


def k_abort_http(i):
    s = open_to(HTTP, False)
    s.sendall(request(HTTP, b"/len/20000000"))
    abort_mid(s, i)


def k_abort_https(i):
    t = tls_to(HTTPS)
    host = HTTPS.encode()
    t.sendall(b"GET /len/20000000 HTTP/1.1\r\nHost: %s\r\n\r\n" % host)
    abort_mid(t, i)


def k_refused(i):
    s = open_to(DEAD, i % 2 == 1)
    if VIA == "direct" or i % 2 == 1:
        # A tunnel (or a transparent connection) to nobody: trawl answers
        # 502 or resets; take what comes.
        try:
            s.recv(4096)
        except OSError:
            pass
    else:
        s.sendall(request(DEAD, b"/"))
        read_head(s)
    s.close()


def k_cut(i):
    s = open_to(HTTP, False)
    s.sendall(request(HTTP, b"/cut/100000"))
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()


KINDS = {
    "connect-close": k_connect_close,
    "connect-parthello": k_connect_parthello,
    "hello-close": k_hello_close,
    "handshake-close": k_handshake_close,
    "half-head": k_half_head,
    "half-upload": k_half_upload,
    "abort-http": k_abort_http,
    "abort-https": k_abort_https,
    "refused": k_refused,
    "cut": k_cut,
}


def one(kind, i):
    try:
        KINDS[kind](i)
        return None
    except (OSError, ssl.SSLError) as e:
        return "%s: %s" % (type(e).__name__, e)


def main():
    global VIA, HTTP, HTTPS, DEAD
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    VIA, HTTP, HTTPS, DEAD = sys.argv[1:5]
    k = int(sys.argv[5])
    kinds = sys.argv[6:] or list(KINDS)
    for kind in kinds:
        if kind not in KINDS:
            sys.exit("unknown kind " + kind)
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        for kind in kinds:
            errs = [e for e in ex.map(lambda i: one(kind, i), range(k)) if e]
            # Errors are the abandoning's own business (a reset raced the
            # close); they are shown, not failed.
            print("%s done %d%s" % (kind, k, " (%d errors, first: %s)" %
                                    (len(errs), errs[0]) if errs else ""))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
