#!/usr/bin/python3
"""smuggle.py -- ambiguous HTTP/1 framing through trawl, judged by an
independent parser (h11, Debian's python3-h11: run it with /usr/bin/python3).

  server ADDR PORT LOG      far side on h11: one JSON line in LOG for every
                            request it parses (complete or not), answers 200
  rawserver ADDR PORT       far side that answers /rNN/first with response
                            NN of the corpus below, raw, and /rNN/second
                            with an honest response of its own
  requests MODE PROXY HOST:PORT OUT
                            sends the request corpus, one connection a case,
                            all at once; MODE is absolute (explicit proxy,
                            absolute-form), tunnel (origin-form inside a
                            CONNECT) or direct (origin-form straight to
                            HOST:PORT: a transparent capture does the rest)
  responses MODE PROXY HOST:PORT OUT
                            the response corpus: an h11 client asks for
                            /rNN/first, then /rNN/second on the same
                            connection when it is still open
  check-requests OUT LOG HAR MODE
  check-responses OUT HAR MODE
                            compare what the far side (or the client) parsed
                            with the flows in trawl's HAR; print one TAP-ish
                            line per check ("ok - ..." / "not ok - ...")

The rule: what arrives parses into exactly the messages the flows record
(same count, methods, paths, bodies); a message trawl refuses reaches
nobody, and its flow says why.
"""
import base64
import json
import socket
import sys
import threading
import time

import h11

# --- the request corpus ---------------------------------------------------

def chunked(data):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)


class Req:
    """One case: the bytes to send; forward = the (method, path, body) the
    far side must parse, or refuse = the words the flow's error must hold."""

    def __init__(self, name, what, raw, forward=None, refuse=None):
        self.name, self.what, self.raw = name, what, raw
        self.forward, self.refuse = forward, refuse


def req_corpus(t, h):
    """The cases for requests whose target starts with t ("http://h" for
    an explicit proxy, "" in origin form) on server h (host:port)."""
    cs = []

    def add(*a, **k):
        cs.append(Req(*a, **k))

    def head(method, path, lines, ver="1.1", eol="\r\n"):
        return ("%s %s%s HTTP/%s" % (method, t, path, ver) + eol +
                "".join(l + eol for l in lines) + eol)

    def smug(c):
        return head("GET", "/%s/smuggled" % c, ["Host: " + h])

    H = "Host: " + h
    b = smug("q01")
    add("q01", "Connection: content-length, the body holds a request",
        head("POST", "/q01/a", [H, "Connection: content-length",
                                "Content-Length: %d" % len(b)]) + b,
        forward=[("POST", "/q01/a", b)])
    b = smug("q02")
    add("q02", "Connection: keep-alive, Content-Length (any case)",
        head("POST", "/q02/a", [H, "Connection: keep-alive, Content-Length",
                                "Content-Length: %d" % len(b)]) + b,
        forward=[("POST", "/q02/a", b)])
    b = smug("q03")
    add("q03", "Connection: transfer-encoding, a chunk holds a request",
        head("POST", "/q03/a", [H, "Connection: transfer-encoding",
                                "Transfer-Encoding: chunked"]) +
        chunked(b.encode()).decode(),
        forward=[("POST", "/q03/a", b)])
    b = smug("q04")
    add("q04", "Connection: close, transfer-encoding, content-length",
        head("POST", "/q04/a", [H, "Connection: close, transfer-encoding, "
                                "content-length", "Transfer-Encoding: chunked"]) +
        chunked(b.encode()).decode(),
        forward=[("POST", "/q04/a", b)])
    add("q05", "Connection: host",
        head("GET", "/q05/a", [H, "Connection: host"]),
        forward=[("GET", "/q05/a", "")])
    add("q06", "Content-Length and Transfer-Encoding",
        head("POST", "/q06/a", [H, "Content-Length: 5",
                                "Transfer-Encoding: chunked"]) + "0\r\n\r\n",
        refuse="both Content-Length and Transfer-Encoding")
    add("q07", "Content-Length named by Connection, beside Transfer-Encoding",
        head("POST", "/q07/a", [H, "Connection: content-length",
                                "Transfer-Encoding: chunked",
                                "Content-Length: 5"]) + "0\r\n\r\n",
        refuse="both Content-Length and Transfer-Encoding")
    add("q08", "two differing Content-Length fields",
        head("POST", "/q08/a", [H, "Content-Length: 5", "Content-Length: 6"]) +
        "hello!", refuse="conflicting Content-Length values")
    add("q09", "Content-Length: 5, 6",
        head("POST", "/q09/a", [H, "Content-Length: 5, 6"]) + "hello!",
        refuse="invalid Content-Length")
    add("q10", "Content-Length: +5",
        head("POST", "/q10/a", [H, "Content-Length: +5"]) + "hello",
        refuse="invalid Content-Length")
    add("q11", "Content-Length past 2^64",
        head("POST", "/q11/a", [H, "Content-Length: 18446744073709551621"]) +
        "hello", refuse="invalid Content-Length")
    add("q12", "Transfer-Encoding: gzip (not ending in chunked)",
        head("POST", "/q12/a", [H, "Transfer-Encoding: gzip"]) + "hello",
        refuse="transfer coding does not end in chunked")
    add("q13", "Transfer-Encoding: chunked, gzip",
        head("POST", "/q13/a", [H, "Transfer-Encoding: chunked, gzip"]) +
        "0\r\n\r\n", refuse="transfer coding does not end in chunked")
    add("q14", "Transfer-Encoding: chunked twice",
        head("POST", "/q14/a", [H, "Transfer-Encoding: chunked",
                                "Transfer-Encoding: chunked"]) + "0\r\n\r\n",
        refuse="chunked applied more than once")
    add("q15", "Transfer-Encoding: xchunked",
        head("POST", "/q15/a", [H, "Transfer-Encoding: xchunked"]) + "0\r\n\r\n",
        refuse="unknown transfer coding")
    add("q16", "Transfer-Encoding: chunked;x=1",
        head("POST", "/q16/a", [H, "Transfer-Encoding: chunked;x=1"]) +
        "0\r\n\r\n", refuse="invalid Transfer-Encoding")
    add("q17", "Transfer-Encoding in HTTP/1.0",
        head("POST", "/q17/a", [H, "Transfer-Encoding: chunked"], ver="1.0") +
        "0\r\n\r\n", refuse="Transfer-Encoding in an HTTP/1.0 request")
    add("q18", "obs-fold",
        head("POST", "/q18/a", [H, "Content-Length: 5", "X-A: a",
                                " Content-Length: 0"]) + "hello",
        refuse="malformed request head")
    add("q19", "space before the colon",
        head("POST", "/q19/a", [H, "Content-Length : 5"]) + "hello",
        refuse="malformed request head")
    add("q20", "bare CR in a field",
        head("GET", "/q20/a", [H, "X-A: a\rContent-Length: 5"]),
        refuse="malformed request head")
    add("q21", "NUL in a field",
        head("GET", "/q21/a", [H, "X-A: a\0b"]),
        refuse="malformed request head")
    add("q22", "bare LF line ends in the head",
        head("POST", "/q22/a", [H, "Content-Length: 5"], eol="\n") + "hello",
        forward=[("POST", "/q22/a", "hello")])
    add("q23", "chunk size past 2^64",
        head("POST", "/q23/a", [H, "Transfer-Encoding: chunked"]) +
        "10000000000000005\r\nhello\r\n0\r\n\r\n",
        refuse="malformed chunked framing")
    add("q24", "bare LF in chunked framing",
        head("POST", "/q24/a", [H, "Transfer-Encoding: chunked"]) +
        "5\nhello\n0\n\n", refuse="malformed chunked framing")
    add("q25", "chunk size with a sign",
        head("POST", "/q25/a", [H, "Transfer-Encoding: chunked"]) +
        "+5\r\nhello\r\n0\r\n\r\n", refuse="malformed chunked framing")
    add("q26", "Content-Length: 5, 5 (one value, repeated)",
        head("POST", "/q26/a", [H, "Content-Length: 5, 5"]) + "hello",
        forward=[("POST", "/q26/a", "hello")])
    add("q27", "two pipelined requests in one send",
        head("POST", "/q27/a", [H, "Content-Length: 5"]) + "hello" +
        head("GET", "/q27/b", [H]),
        forward=[("POST", "/q27/a", "hello"), ("GET", "/q27/b", "")])
    add("q28", "chunked with extensions and a trailer",
        head("POST", "/q28/a", [H, "Transfer-Encoding: chunked"]) +
        "5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        forward=[("POST", "/q28/a", "hello")])
    add("q29", "two Host fields",
        head("GET", "/q29/a", [H, "Host: other.invalid"]),
        forward=[("GET", "/q29/a", "")])
    add("q30", "Content-Length: 0 named by Connection, a request behind it",
        head("POST", "/q30/a", [H, "Connection: Content-Length",
                                "Content-Length: 0"]) + smug("q30"),
        forward=[("POST", "/q30/a", ""), ("GET", "/q30/smuggled", "")])
    # Method names are case-sensitive tokens (RFC 9110 9.1): any a
    # server may take is a request, and so a flow.
    add("q31", "a lower-case method",
        head("get", "/q31/a", [H]), forward=[("get", "/q31/a", "")])
    add("q32", "a method with a hyphen",
        head("VERSION-CONTROL", "/q32/a", [H]),
        forward=[("VERSION-CONTROL", "/q32/a", "")])
    return cs


# --- the response corpus ---------------------------------------------------

SMUG_RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"


class Resp:
    """The server's answer to /NAME/first; kind: one (the client parses
    exactly one response, body), refuse (trawl answers 502, the flow says
    why) or reset (the client gets no complete response, the flow says
    why)."""

    def __init__(self, name, what, raw, kind, body=b"", why=None):
        self.name, self.what, self.raw = name, what, raw
        self.kind, self.body, self.why = kind, body, why


def resp_corpus():
    S = SMUG_RESP
    ok = b"HTTP/1.1 200 OK\r\n"
    return [
        Resp("r01", "Connection: content-length, the body holds a response",
             ok + b"Connection: content-length\r\nContent-Length: %d\r\n\r\n" % len(S)
             + S, "one", S),
        Resp("r02", "Connection: keep-alive, Content-Length",
             ok + b"Connection: keep-alive, Content-Length\r\nContent-Length: %d"
             b"\r\n\r\n" % len(S) + S, "one", S),
        Resp("r03", "Connection: transfer-encoding, a chunk holds a response",
             ok + b"Connection: transfer-encoding\r\nTransfer-Encoding: chunked"
             b"\r\n\r\n" + chunked(S), "one", S),
        Resp("r04", "Content-Length and Transfer-Encoding",
             ok + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" +
             chunked(S), "refuse", why="both Content-Length and Transfer-Encoding"),
        Resp("r05", "two differing Content-Length fields",
             ok + b"Content-Length: 5\r\nContent-Length: 8\r\n\r\nsmuggled",
             "refuse", why="conflicting Content-Length values"),
        Resp("r06", "Content-Length: 8, 5",
             ok + b"Content-Length: 8, 5\r\n\r\nsmuggled", "refuse",
             why="invalid Content-Length"),
        Resp("r07", "Content-Length: -5",
             ok + b"Content-Length: -5\r\n\r\nhello", "refuse",
             why="invalid Content-Length"),
        Resp("r08", "obs-fold",
             ok + b"Content-Length: 5\r\nX-A: a\r\n Content-Length: 8\r\n\r\nhello",
             "refuse", why="malformed response head"),
        Resp("r09", "Transfer-Encoding: chunked twice",
             ok + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" +
             chunked(b"hello"), "refuse", why="chunked applied more than once"),
        Resp("r10", "bare LF line ends in the head",
             b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello", "one", b"hello"),
        Resp("r11", "chunk size past 2^64",
             ok + b"Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n"
             b"0\r\n\r\n", "reset", why="malformed chunked framing"),
        Resp("r12", "bare LF in chunked framing",
             ok + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n", "reset",
             why="malformed chunked framing"),
        Resp("r13", "a response right behind the body",
             ok + b"Content-Length: 5\r\n\r\nhello" + S, "one", b"hello"),
        Resp("r14", "Content-Length: 5, 5 (one value, repeated)",
             ok + b"Content-Length: 5, 5\r\n\r\nhello", "one", b"hello"),
    ]


# --- far sides ----------------------------------------------------------------

def listener(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)
    return s


def serve(addr, port, handler):
    s = listener(addr, port)
    n = 0
    while True:
        c, _ = s.accept()
        n += 1
        threading.Thread(target=handler, args=(c, n), daemon=True).start()


def h11_server(addr, port, logpath):
    lock = threading.Lock()
    log = open(logpath, "a")

    def record(**kw):
        with lock:
            log.write(json.dumps(kw) + "\n")
            log.flush()

    def conn(sock, cid):
        h = h11.Connection(h11.SERVER)
        cur = None
        body = b""
        sock.settimeout(30)
        try:
            while True:
                try:
                    ev = h.next_event()
                except h11.RemoteProtocolError as e:
                    record(conn=cid, error=str(e), partial=cur)
                    return
                if ev is h11.NEED_DATA:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    h.receive_data(data)
                    continue
                if isinstance(ev, h11.Request):
                    hosts = [v.decode("latin1") for k, v in ev.headers if k == b"host"]
                    cur = {"method": ev.method.decode("latin1"),
                           "target": ev.target.decode("latin1"), "hosts": hosts}
                    body = b""
                elif isinstance(ev, h11.Data):
                    body += ev.data
                elif isinstance(ev, h11.EndOfMessage):
                    cur["body"] = body.decode("latin1")
                    record(conn=cid, complete=True, **cur)
                    text = b"seen %s %s %d\n" % (cur["method"].encode(),
                                                 cur["target"].encode(), len(body))
                    out = h.send(h11.Response(status_code=200, headers=[
                        ("Content-Length", str(len(text)))]))
                    out += h.send(h11.Data(data=text)) + h.send(h11.EndOfMessage())
                    sock.sendall(out)
                    cur = None
                    if h.our_state is h11.MUST_CLOSE:
                        return
                    h.start_next_cycle()
                elif isinstance(ev, h11.ConnectionClosed):
                    return
        finally:
            sock.close()

    serve(addr, port, conn)


def raw_server(addr, port):
    corpus = {r.name: r for r in resp_corpus()}

    def conn(sock, cid):
        buf = b""
        sock.settimeout(30)
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buf += data
                head_, buf = buf.split(b"\r\n\r\n", 1)
                target = head_.split(b"\r\n")[0].split(b" ")[1].decode()
                parts = target.split("/")
                if len(parts) == 3 and parts[2] == "first" and parts[1] in corpus:
                    sock.sendall(corpus[parts[1]].raw)
                else:
                    text = b"second response for %s" % target.encode()
                    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
                                 % len(text) + text)
        except OSError:
            pass
        finally:
            sock.close()

    serve(addr, port, conn)


# --- clients ---------------------------------------------------------------------

def split_hp(s):
    h, p = s.rsplit(":", 1)
    return h.strip("[]"), int(p)


def open_conn(mode, proxy, target, timeout=3):
    """A connection on which requests for target go: to the proxy, or
    through a CONNECT tunnel, or straight to target."""
    if mode == "direct":
        s = socket.create_connection(split_hp(target), timeout=timeout)
        return s, b""
    s = socket.create_connection(split_hp(proxy), timeout=timeout)
    if mode == "tunnel":
        s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target.encode(),
                                                                target.encode()))
        got = b""
        while b"\r\n\r\n" not in got:
            d = s.recv(4096)
            if not d:
                raise OSError("proxy closed the CONNECT")
            got += d
        if not got.startswith(b"HTTP/1.1 200"):
            raise OSError("CONNECT refused: %r" % got[:40])
        return s, got.split(b"\r\n\r\n", 1)[1]
    return s, b""


def read_responses(s, pre, want, timeout):
    """Parses responses (h11 as a client) until want of them, the end of
    the connection or timeout; returns [(status, body)], why it stopped,
    and the bytes seen past the last response."""
    h = h11.Connection(h11.CLIENT)
    out = []
    if pre:
        h.receive_data(pre)
    end = time.monotonic() + timeout
    why = "done"

    def ask():
        h.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
        h.send(h11.EndOfMessage())

    ask()
    status, body = None, b""
    while True:
        try:
            ev = h.next_event()
        except h11.RemoteProtocolError as e:
            return out, "client parser: %s" % e, b""
        if ev is h11.NEED_DATA:
            if len(out) >= want:
                break
            left = end - time.monotonic()
            if left <= 0:
                why = "timeout"
                break
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except socket.timeout:
                why = "timeout"
                break
            except OSError as e:
                d = b""
                why = "reset: %s" % e
            h.receive_data(d)
            continue
        if isinstance(ev, h11.Response):
            status, body = ev.status_code, b""
        elif isinstance(ev, h11.Data):
            body += ev.data
        elif isinstance(ev, h11.EndOfMessage):
            out.append((status, body.decode("latin1")))
            if h.their_state is not h11.DONE or h.our_state is not h11.DONE:
                break
            h.start_next_cycle()
            ask()
        elif isinstance(ev, h11.ConnectionClosed):
            why = "closed"
            break
    # Anything more (a smuggled response) shows within a moment.
    extra = h.trailing_data[0]
    s.settimeout(0.3)
    try:
        extra += s.recv(65536)
    except OSError:
        pass
    return out, why, extra.decode("latin1")


def run_requests(mode, proxy, target, outpath):
    prefix = "http://%s" % target if mode == "absolute" else ""
    cases = req_corpus(prefix, target)
    results = {}

    def one(c):
        r = {"what": c.what, "target": target}
        try:
            s, pre = open_conn(mode, proxy, target)
            r["client"] = "%s:%d" % s.getsockname()[:2]
            s.sendall(c.raw.encode("latin1"))
            want = len(c.forward) if c.forward else 1
            got, why, extra = read_responses(s, pre, want, 3)
            r.update(responses=got, why=why, extra=extra)
            s.close()
        except OSError as e:
            r["fail"] = str(e)
        results[c.name] = r

    ts = [threading.Thread(target=one, args=(c,)) for c in cases]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    json.dump(results, open(outpath, "w"), indent=1)


def h11_get(s, h, target, host):
    """One GET on an h11 client connection: (status, body) or an error."""
    s.sendall(h.send(h11.Request(method="GET", target=target, headers=[("Host", host)])))
    s.sendall(h.send(h11.EndOfMessage()) or b"")
    status, body = None, b""
    while True:
        ev = h.next_event()
        if ev is h11.NEED_DATA:
            try:
                d = s.recv(65536)
            except socket.timeout:
                raise OSError("timeout (the client is still reading a body)")
            h.receive_data(d)
        elif isinstance(ev, h11.Response):
            status = ev.status_code
        elif isinstance(ev, h11.Data):
            body += ev.data
        elif isinstance(ev, h11.EndOfMessage):
            return status, body.decode("latin1")
        elif isinstance(ev, h11.ConnectionClosed):
            raise OSError("closed without a response")


def run_responses(mode, proxy, target, outpath):
    prefix = "http://%s" % target if mode == "absolute" else ""
    results = {}

    def one(c):
        r = {"what": c.what}
        try:
            s, pre = open_conn(mode, proxy, target)
            r["client"] = "%s:%d" % s.getsockname()[:2]
            h = h11.Connection(h11.CLIENT)
            if pre:
                h.receive_data(pre)
            try:
                r["first"] = h11_get(s, h, "%s/%s/first" % (prefix, c.name), target)
            except (OSError, h11.ProtocolError) as e:
                r["first_error"] = str(e)
            # The second request: on the same connection when both sides
            # may go on, else on a new one.
            if h.our_state is h11.DONE and h.their_state is h11.DONE:
                h.start_next_cycle()
                r["same_conn"] = True
            else:
                s.close()
                s, pre = open_conn(mode, proxy, target)
                h = h11.Connection(h11.CLIENT)
                if pre:
                    h.receive_data(pre)
                r["same_conn"] = False
            r["client2"] = "%s:%d" % s.getsockname()[:2]
            try:
                r["second"] = h11_get(s, h, "%s/%s/second" % (prefix, c.name), target)
            except (OSError, h11.ProtocolError) as e:
                r["second_error"] = str(e)
            s.close()
        except OSError as e:
            r["fail"] = str(e)
        results[c.name] = r

    ts = [threading.Thread(target=one, args=(c,)) for c in resp_corpus()]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    json.dump(results, open(outpath, "w"), indent=1)


# --- checks ---------------------------------------------------------------------

fails = 0


def say(good, text):
    global fails
    if not good:
        fails += 1
    print("%s - %s" % ("ok" if good else "not ok", text))


def load_har(path):
    # trawl rewrites the file's tail as flows finish: retry a torn read.
    for _ in range(30):
        try:
            return json.load(open(path))["log"]["entries"]
        except (ValueError, OSError):
            time.sleep(0.1)
    return []


def body_of(o):
    if o is None or "text" not in o:
        return ""
    if o.get("encoding") == "base64":
        return base64.b64decode(o["text"]).decode("latin1")
    return o["text"]


def path_of(target):
    """The path of a request target, origin-form or absolute-form."""
    if target.startswith("/"):
        return target
    rest = target.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def flows_of(entries, client):
    """The HTTP flows of one client connection, and any raw (tcp) ones."""
    http, raw = [], []
    for e in entries:
        if e.get("_client") != client:
            continue
        if e.get("_type") == "http" and e["request"].get("method") != "CONNECT":
            http.append(e)
        elif e.get("_type") != "http":
            raw.append(e)
    http.sort(key=lambda e: e["_id"])
    return http, raw


def check_requests(outpath, logpath, harpath, mode):
    results = json.load(open(outpath))
    entries = load_har(harpath)
    seen = [json.loads(l) for l in open(logpath)]
    complete = [r for r in seen if r.get("complete")]
    target = next(iter(results.values()))["target"]
    cases = {c.name: c for c in req_corpus("http://%s" % target if mode == "absolute"
                                           else "", target)}
    tag = "[%s]" % mode
    for name, c in sorted(cases.items()):
        r = results.get(name, {})
        label = "%s %s %s:" % (tag, name, c.what)
        if "fail" in r or "client" not in r:
            say(False, "%s the client could not send (%s)" % (label, r.get("fail")))
            continue
        http, raw = flows_of(entries, r["client"])
        arrived = [(x["method"], path_of(x["target"]), x["body"]) for x in complete
                   if path_of(x["target"]).startswith("/%s/" % name)]
        partial = [x for x in seen if not x.get("complete") and x.get("partial") and
                   x["partial"]["target"].startswith("/%s/" % name)]
        flowed = [(e["request"]["method"], e["request"].get("_path", ""),
                   body_of(e["request"].get("postData"))) for e in http
                  if not e.get("_error")]
        errors = [e["_error"] for e in http if e.get("_error")]
        statuses = [st for st, _ in r.get("responses", [])]
        say(not raw, "%s no raw tcp flow carries it (%d)" % (label, len(raw)))
        if c.forward is not None:
            want = c.forward
            say(arrived == flowed,
                "%s the server parsed what the flows record (server %r, flows %r)"
                % (label, arrived, flowed))
            say(flowed == want, "%s the flows are the messages sent (%r)" % (label, flowed))
            say(not errors, "%s no flow has an error (%r)" % (label, errors))
            say(statuses == [200] * len(want) and not r.get("extra"),
                "%s the client got one answer per message (%r, %s, extra %r)"
                % (label, statuses, r.get("why"), r.get("extra", "")[:60]))
            hosts = [x["hosts"] for x in complete
                     if path_of(x["target"]).startswith("/%s/" % name)]
            say(all(h[:1] == [r["target"]] and len(h) == 1 for h in hosts),
                "%s the server saw one Host, the flow's (%r)" % (label, hosts))
        else:
            say(not arrived, "%s nothing reached the server complete (%r)" % (label, arrived))
            say(len(http) == 1 and not flowed and len(errors) == 1 and
                c.refuse in errors[0],
                "%s one flow, with the error '%s' (%r)" % (label, c.refuse, errors))
            say(statuses == [400], "%s the client got 400 (%r, %s)"
                % (label, statuses, r.get("why")))
            if partial:
                print("# %s %s: the server saw an incomplete head: %r" % (tag, name, partial))
    # Every request the server parsed belongs to a case, and is a flow.
    stray = [x for x in complete if path_of(x["target"]).split("/")[1] not in cases]
    say(not stray, "%s the server parsed no request outside the corpus (%r)" % (tag, stray))
    nflows = sum(len([e for e in flows_of(entries, r["client"])[0] if not e.get("_error")])
                 for r in results.values() if "client" in r)
    say(nflows == len(complete),
        "%s every request the server parsed is a flow (%d parsed, %d flows)"
        % (tag, len(complete), nflows))
    return fails


def check_responses(outpath, harpath, mode):
    results = json.load(open(outpath))
    entries = load_har(harpath)
    tag = "[%s]" % mode
    for c in resp_corpus():
        r = results.get(c.name, {})
        label = "%s %s %s:" % (tag, c.name, c.what)
        if "fail" in r or "client" not in r:
            say(False, "%s the client could not connect (%s)" % (label, r.get("fail")))
            continue
        http, raw = flows_of(entries, r["client"])
        firsts = [e for e in http if e["request"].get("_path") == "/%s/first" % c.name]
        say(len(firsts) == 1 and not raw, "%s one flow for the first request (%d, raw %d)"
            % (label, len(firsts), len(raw)))
        f = firsts[0] if firsts else {"response": {"_absent": True}}
        resp = f["response"]
        got = r.get("first")
        if c.kind == "one":
            flow = (resp.get("status"), body_of(resp.get("content")))
            say(got is not None and tuple(got) == flow and flow == (200, c.body.decode()),
                "%s the client parsed exactly the response the flow records "
                "(client %r, flow %r)" % (label, got or r.get("first_error"), flow))
        elif c.kind == "refuse":
            err = f.get("_error", "")
            say(got is not None and got[0] == 502 and c.why in err and resp.get("_absent"),
                "%s 502 for the client, no response on the flow, error '%s' (%r, %r)"
                % (label, c.why, got or r.get("first_error"), err))
        else:
            err = f.get("_error", "")
            say(got is None and c.why in err,
                "%s the client got no complete response, the flow says '%s' (%r, %r)"
                % (label, c.why, got or r.get("first_error"), err))
        want2 = "second response for %s/%s/second" % ("", c.name)
        second = r.get("second")
        say(second is not None and second[0] == 200 and second[1] == want2,
            "%s the second request got its own response (%s connection: %r)"
            % (label, "same" if r.get("same_conn") else "new",
               second or r.get("second_error")))
        if c.kind == "one":
            say(r.get("same_conn") is True,
                "%s the connection stayed usable after one response" % label)
        h2, _ = flows_of(entries, r.get("client2", ""))
        seconds = [e for e in h2 if e["request"].get("_path") == "/%s/second" % c.name]
        say(len(seconds) == 1 and body_of(seconds[0]["response"].get("content")) == want2,
            "%s the second request is a flow with its response" % label)
    return fails


def main(argv):
    cmd = argv[1]
    if cmd == "server":
        h11_server(argv[2], int(argv[3]), argv[4])
    elif cmd == "rawserver":
        raw_server(argv[2], int(argv[3]))
    elif cmd == "requests":
        run_requests(argv[2], argv[3], argv[4], argv[5])
    elif cmd == "responses":
        run_responses(argv[2], argv[3], argv[4], argv[5])
    elif cmd == "check-requests":
        return 1 if check_requests(argv[2], argv[3], argv[4], argv[5]) else 0
    elif cmd == "check-responses":
        return 1 if check_responses(argv[2], argv[3], argv[4]) else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
