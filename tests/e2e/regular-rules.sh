#!/bin/sh
# Rules in regular mode with real clients (curl, python requests):
# modify-headers, modify-body, map-remote, map-local, block-list,
# anticache, anticomp, the config file, and rule errors before start.
. "$(dirname "$0")/lib.sh"

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
O=http://127.0.0.1:$OP
X="-x http://127.0.0.1:$PP"
PY=/usr/bin/python3

mkdir -p "$TMP/site/docs"
printf 'console.log("local")' >"$TMP/site/app.js"
printf '<p>docs</p>' >"$TMP/site/docs/index.html"
printf '{"mocked": true}' >"$TMP/mock.json"
printf 'from-a-file\n' >"$TMP/token"
printf 'REPLACED BY FILE' >"$TMP/body.txt"

# 1. Bad syntax stops trawl before it listens, naming the rule and column.
"$TRAWL" --mode "regular@$PP" --dump --modify-headers '/~q/X Bad/1' \
    >"$TMP/bad.out" 2>"$TMP/bad.err"
eq "a bad rule exits 2" "$?" "2"
contains "the error names the option and the column" "$TMP/bad.err" \
    "bad --modify-headers: column 6: a header name"
contains "the error shows the rule" "$TMP/bad.err" "/~q/X Bad/1"
"$TRAWL" --mode "regular@$PP" --dump --block-list '/~u x/99' \
    >"$TMP/bad2.out" 2>"$TMP/bad2.err"
contains "a bad status is refused with its column" "$TMP/bad2.err" \
    "bad --block-list: column 7:"
"$TRAWL" --mode "regular@$PP" --dump --modify-body '/~zz/a/b' \
    >"$TMP/bad3.out" 2>"$TMP/bad3.err"
contains "a bad filter in a rule is refused with its column" \
    "$TMP/bad3.err" "bad --modify-body: column 2: unknown operator ~zz"
check "nothing listened" sh -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1',$PP),0.2)\" 2>/dev/null"

# 2. One trawl with a rule of every kind.
start_trawl --mode "regular@$PP" --dump -w "$TMP/rules.har" \
    --modify-headers '/~q & ~u headers/X-Added/yes' \
    --modify-headers '/~q & ~u headers/User-Agent/' \
    --modify-headers "|~q & ~u headers|X-Token|@$TMP/token" \
    --modify-headers '/~s & ~u headers/X-Resp/r1' \
    --modify-headers '/~u nomatch/X-Never/1' \
    --modify-body '/~q & ~u echo/secret/public' \
    --modify-body '/~s & ~u chunked/chunked/CHUNKED!' \
    --modify-body "|~s & ~u len/5|.+|@$TMP/body.txt" \
    --modify-body '|~s & ~u len/6000000|nothing|x' \
    --map-remote "|^http://staging\\.invalid/|$O/" \
    --map-local "|~d cdn\\.invalid|/static|$TMP/site" \
    --map-local "|/api/mock\$|$TMP/mock.json" \
    --block-list '/~u tracker/403' \
    --block-list '/~u drop-me/444' \
    --anticache --anticomp
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
D=$TMP/dump.out

# modify-headers: requests (~q) and responses (~s), set, remove, @file.
curl -s $X -D "$TMP/h.head" "$O/headers" >"$TMP/h"
contains "a request header is set" "$TMP/h" "X-Added: yes"
check "a request header is removed" sh -c "! grep -qi '^User-Agent' '$TMP/h'"
contains "a header value comes from a file" "$TMP/h" "X-Token: from-a-file"
check "a non-matching rule sets nothing" sh -c "! grep -q X-Never '$TMP/h'"
contains "a response header is set" "$TMP/h.head" "X-Resp: r1"
check "a response rule leaves requests alone" sh -c "! grep -q X-Resp '$TMP/h'"
got=$($PY - "$PP" "$O" <<'PY'
import requests, sys
p = {"http": "http://127.0.0.1:%s" % sys.argv[1]}
r = requests.get(sys.argv[2] + "/headers", proxies=p,
                 headers={"If-None-Match": '"abc"',
                          "If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
b = r.text
print("added" if "X-Added: yes" in b else "no-added",
      "resp=" + r.headers.get("X-Resp", "-"),
      "inm" if "If-None-Match" in b else "no-inm",
      "ims" if "If-Modified-Since" in b else "no-ims",
      "identity" if "Accept-Encoding: identity" in b else "compressed")
PY
)
eq "python requests: headers, anticache, anticomp" "$got" \
    "added resp=r1 no-inm no-ims identity"

# modify-body: the request body the server got, and Content-Length.
got=$(curl -s $X -D "$TMP/e.head" --data-binary 'my secret and your secret' \
    "$O/echo")
eq "a request body is rewritten before the server" "$got" \
    "my public and your public"
want=$(printf 'my public and your public' | sha256sum | cut -d' ' -f1)
contains "the server hashed the rewritten body" "$TMP/e.head" "X-Sha256: $want"
# A client that waits for 100 Continue before its body: no server sends
# one while trawl keeps the body back, so trawl does, and drops Expect.
got=$($PY - "$PP" "$O" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
body = b"expect a secret"
s.sendall(b"POST %s/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
          b"Content-Length: %d\r\n\r\n" % (sys.argv[2].encode(), len(body)))
try:
    first = s.recv(4096)
except socket.timeout:
    print("no 100 Continue"); sys.exit()
print(first.split(b"\r\n")[0].decode())
s.sendall(body)
got = b""
while not got.endswith(b"expect a public"):
    d = s.recv(65536)
    if not d:
        break
    got += d
print(got.rsplit(b"\r\n\r\n", 1)[-1].decode())
PY
)
eq "Expect: 100-continue while modify-body keeps the body back" "$got" \
    "HTTP/1.1 100 Continue
expect a public"
got=$(curl -s $X -D "$TMP/c.head" "$O/chunked")
eq "a chunked response body is rewritten" "$got" "hello CHUNKED! world"
contains "it goes with its new length" "$TMP/c.head" "Content-Length: 21"
got=$($PY - "$PP" "$O" <<'PY'
import requests, sys
p = {"http": "http://127.0.0.1:%s" % sys.argv[1]}
r = requests.get(sys.argv[2] + "/len/5", proxies=p)
print(r.status_code, r.headers["Content-Length"], r.text)
PY
)
eq "python requests: a body replaced from a file" "$got" "200 16 REPLACED BY FILE"
# Past LIMIT_FLOW_BODY a held body goes on as it came, whole.
want=$(curl -s "$O/len/6000000" | sha256sum)
got=$(curl -s $X "$O/len/6000000" | sha256sum)
eq "a response too large for modify-body streams intact" "$got" "$want"
head -c 5000000 /dev/urandom >"$TMP/big"
want=$(sha256sum <"$TMP/big" | cut -d' ' -f1)
curl -s $X -D "$TMP/big.head" -o /dev/null --data-binary @"$TMP/big" "$O/echo"
contains "a request too large for modify-body reaches the server intact" \
    "$TMP/big.head" "X-Sha256: $want"

# map-remote: the client asked for another host; the origin answered.
got=$(curl -s $X "http://staging.invalid/headers")
check "map-remote sent the request to the origin" sh -c \
    "printf '%s' '$got' | grep -q 'Host: 127.0.0.1:$OP'"
contains "the flow shows where the request went" "$D" \
    "GET $O/headers << 200"

# map-local: a file, a directory with index.html, a 404, content types.
curl -s $X -D "$TMP/m.head" "http://cdn.invalid/static/app.js?v=1" >"$TMP/m"
eq "map-local answers from a directory" "$(cat "$TMP/m")" 'console.log("local")'
contains "with a content type from the extension" "$TMP/m.head" \
    "Content-Type: text/javascript"
eq "a directory answers with its index.html" \
    "$(curl -s $X "http://cdn.invalid/static/docs/")" "<p>docs</p>"
eq "a missing file is a 404" "$(curl -s -o /dev/null -w '%{http_code}' $X \
    "http://cdn.invalid/static/nope.css")" "404"
eq "a path out of the directory is a 404" "$(curl -s -o /dev/null \
    -w '%{http_code}' --path-as-is $X "http://cdn.invalid/static/../mock.json")" \
    "404"
got=$($PY - "$PP" "$O" <<'PY'
import requests, sys
p = {"http": "http://127.0.0.1:%s" % sys.argv[1]}
r = requests.get(sys.argv[2] + "/api/mock", proxies=p)
print(r.status_code, r.headers["Content-Type"], r.json()["mocked"])
PY
)
eq "python requests: map-local answers from a file" "$got" \
    "200 application/json True"
before=$(curl -s "$O/conns")
curl -s $X "$O/api/mock" >/dev/null
eq "map-local never contacts the server" "$(curl -s "$O/conns")" \
    "$((before + 1))"

# block-list: a status, and 444 which closes.
eq "block-list answers 403" "$(curl -s -o /dev/null -w '%{http_code}' $X \
    "$O/tracker.js")" "403"
curl -s $X "$O/drop-me" >/dev/null 2>&1
rc=$?
check "block-list 444 closes without an answer (curl $rc)" \
    sh -c "[ $rc = 52 ] || [ $rc = 56 ]"
contains "the closed flow says why" "$D" "closed by a --block-list rule"
eq "the next request on a new connection works" "$(curl -s $X "$O/len/3" | wc -c)" "3"

# Flows keep the original for revert (saved in the HAR).
stop_trawl
got=$(python3 - "$TMP/rules.har" <<'PY'
import json, sys
es = json.load(open(sys.argv[1]))["log"]["entries"]
out = []
for e in es:
    o = e.get("_origRequest")
    if o and "staging.invalid" in o["url"]:
        out.append("remote:%s:%s" % (e["_modified"], e["request"]["url"]))
    if o and e["request"]["url"].endswith("/echo") and e["_modified"]:
        out.append("body")
print(" ".join(sorted(set(out))))
PY
)
eq "rule-changed flows keep the original request" "$got" \
    "body remote:True:$O/headers"

# 3. The config file: $XDG_CONFIG_HOME/trawl/config, then --config FILE.
mkdir -p "$XDG_CONFIG_HOME/trawl"
cat >"$XDG_CONFIG_HOME/trawl/config" <<EOF
# rules that persist
modify-headers = /~q/X-From-Config/1
anticomp
EOF
start_trawl --mode "regular@$PP" --dump
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
curl -s $X "$O/headers" >"$TMP/cfg"
contains "the config file's rule applies" "$TMP/cfg" "X-From-Config: 1"
contains "the config file's switch applies" "$TMP/cfg" "Accept-Encoding: identity"
stop_trawl
printf 'modify-headers "/~q/X-Other/2"\n' >"$TMP/other.conf"
start_trawl --config "$TMP/other.conf" --mode "regular@$PP" --dump \
    --modify-headers '/~q/X-Cli/3'
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
curl -s $X "$O/headers" >"$TMP/cfg2"
contains "--config FILE replaces the default file" "$TMP/cfg2" "X-Other: 2"
check "the default file is not read then" sh -c "! grep -q X-From-Config '$TMP/cfg2'"
contains "command-line rules add to the file's" "$TMP/cfg2" "X-Cli: 3"
stop_trawl
printf 'anticomp\nmodify-body = /(x/y\n' >"$TMP/bad.conf"
"$TRAWL" --config "$TMP/bad.conf" --mode "regular@$PP" --dump \
    >"$TMP/badc.out" 2>"$TMP/badc.err"
eq "a bad config rule exits 2" "$?" "2"
contains "the error names the file, line and column" "$TMP/badc.err" \
    "bad.conf:2: bad modify-body: column 4: bad regular expression"
printf 'no-such-option = 1\n' >"$TMP/bad2.conf"
"$TRAWL" --config "$TMP/bad2.conf" --dump >"$TMP/badc2.out" 2>"$TMP/badc2.err"
contains "an unknown config option is named" "$TMP/badc2.err" \
    "bad2.conf:1: unknown option 'no-such-option'"
finish
