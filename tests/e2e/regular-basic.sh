#!/bin/sh
# Regular mode with real clients: bodies, framings, keep-alive, pipelining.
. "$(dirname "$0")/lib.sh"

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
start_trawl --mode "regular@127.0.0.1:$PP" --dump
wait_port 127.0.0.1 "$PP" || exit 1
O=http://127.0.0.1:$OP
X="-x http://127.0.0.1:$PP"

# 32 MiB through curl: the bytes must be identical.
want=$(curl -s "$O/len/33554432" | sha256sum)
got=$(curl -s $X "$O/len/33554432" | sha256sum)
eq "32 MiB body through the proxy is intact" "$got" "$want"

got=$(wget -q -O - -e use_proxy=yes -e http_proxy="127.0.0.1:$PP" "$O/len/1000" | sha256sum)
want=$(curl -s "$O/len/1000" | sha256sum)
eq "wget through the proxy" "$got" "$want"

got=$(http_proxy="http://127.0.0.1:$PP" python3 -c "
import urllib.request,sys
sys.stdout.write(urllib.request.urlopen('$O/chunked').read().decode())")
eq "python urllib gets the chunked body" "$got" "hello chunked world"

curl -s $X --raw "$O/chunked" >"$TMP/raw"
contains "chunked framing and trailer reach the client" "$TMP/raw" "X-Checksum: abc"

got=$(curl -s $X "$O/close")
eq "read-until-close body" "$got" "until the end"

curl -s -I $X "$O/len/5000" >"$TMP/head"
contains "HEAD keeps Content-Length" "$TMP/head" "Content-Length: 5000"
eq "HEAD returns no body" "$(curl -s -o /dev/null -w '%{size_download}' -I $X "$O/len/5000" | tr -d ' ')" "0"

eq "204 has no body" "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' $X "$O/status/204")" "204 0"
eq "304 has no body" "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' $X "$O/status/304")" "304 0"

# Keep-alive: three requests on one client connection reuse one upstream.
before=$(curl -s "$O/conns")
curl -s $X "$O/len/10" "$O/len/10" "$O/len/10" -o /dev/null -o /dev/null -o /dev/null
after=$(curl -s "$O/conns")
# The proxy's requests add at most one connection (the pool may already
# hold one); the second direct request adds one more.
check "upstream connection reused across keep-alive requests" [ $((after - before)) -le 2 ]

# A pooled connection the server drops: a GET is sent again, not a 502.
eq "a stale upstream connection is retried" \
    "$(curl -s -o /dev/null -o /dev/null -w '%{http_code} ' $X "$O/drop-next" "$O/len/5")" "200 200 "

# Inside a CONNECT tunnel the tunnel's target is the destination, whatever
# Host says (as for transparent connections); the URL shows Host.
curl -s -p $X -H "Host: somewhere.invalid" "$O/headers" >"$TMP/th"
contains "a tunnelled request reaches the tunnel's target" "$TMP/th" "Host: somewhere.invalid"

# An upgrade (WebSocket's handshake) passes, then the bytes are relayed.
python3 - "$PP" "$OP" >"$TMP/up" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(("GET http://127.0.0.1:%s/upgrade HTTP/1.1\r\nHost: x\r\n"
           "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n" % sys.argv[2]).encode())
data = b""
while b"ready\n" not in data:
    data += s.recv(4096)
print(data.split(b"\r\n")[0].decode())
s.sendall(b"ping over the new protocol")
got = b""
while len(got) < 26:
    got += s.recv(4096)
print(got.decode())
s.close()
PY
contains "the upgrade is answered 101" "$TMP/up" "HTTP/1.1 101 Switching Protocols"
contains "bytes flow both ways after the upgrade" "$TMP/up" "ping over the new protocol"

# Hop-by-hop headers stay on their hop; Host follows the URL.
curl -s $X -H "Proxy-Connection: keep-alive" -H "Connection: X-Secret" \
    -H "X-Secret: 1" -H "Keep-Alive: 5" -H "X-Kept: yes" "$O/headers" >"$TMP/h"
check "Proxy-Connection is not forwarded" sh -c "! grep -qi '^proxy-connection' '$TMP/h'"
check "fields named by Connection are not forwarded" sh -c "! grep -qi '^x-secret' '$TMP/h'"
check "Keep-Alive is not forwarded" sh -c "! grep -qi '^keep-alive' '$TMP/h'"
contains "end-to-end headers are forwarded" "$TMP/h" "X-Kept: yes"
contains "request goes upstream in origin-form" "$TMP/h" "GET /headers HTTP/1.1"
contains "Host is the URL's authority" "$TMP/h" "Host: 127.0.0.1:$OP"

# Expect: 100-continue with an upload; the body arrives whole.
head -c 300000 /dev/urandom >"$TMP/up"
want=$(sha256sum <"$TMP/up" | cut -d' ' -f1)
got=$(curl -s -D "$TMP/uph" $X -H "Expect: 100-continue" --data-binary @"$TMP/up" "$O/echo" | sha256sum | cut -d' ' -f1)
eq "POST with Expect: 100-continue round-trips" "$got" "$want"
contains "server saw the whole body" "$TMP/uph" "X-Sha256: $want"
got=$(curl -s $X -H "Transfer-Encoding: chunked" --data-binary @"$TMP/up" "$O/echo" | sha256sum | cut -d' ' -f1)
eq "chunked upload round-trips" "$got" "$want"

# Pipelining: two requests in one write, answered in order.
python3 - "$PP" "$OP" >"$TMP/pipe" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
o = "http://127.0.0.1:%s" % sys.argv[2]
s.sendall(("GET %s/len/3 HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET %s/chunked HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET %s/len/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
           % (o, o, o)).encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
import re
heads = re.findall(rb"HTTP/1.1 200 OK\r\n.*?\r\n\r\n", data, re.S)
print(len(heads))
for h in heads:
    m = re.search(rb"Content-Length: (\d+)|Transfer-Encoding: (chunked)", h)
    print((m.group(1) or m.group(2)).decode())
PY
eq "pipelined responses come back whole and in order" "$(tr '\n' ' ' <"$TMP/pipe")" "3 3 chunked 2 "

sleep 0.3
contains "dump line for the 32 MiB GET" "$TMP/dump.out" "GET $O/len/33554432 << 200 OK 32.0m"
contains "dump line for HEAD" "$TMP/dump.out" "HEAD $O/len/5000 << 200 OK"
contains "dump line for POST" "$TMP/dump.out" "POST $O/echo << 200 OK"
contains "the upgraded flow is recorded" "$TMP/dump.out" "GET $O/upgrade << 101 Switching Protocols"
contains "a tunnelled request's URL shows its Host" "$TMP/dump.out" "GET http://somewhere.invalid:$OP/headers << 200 OK"
check "dump lines carry the client address" grep -q "^[0-9:.]* 127.0.0.1:[0-9]* GET" "$TMP/dump.out"
finish
