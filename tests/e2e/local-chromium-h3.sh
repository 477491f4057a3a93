#!/bin/sh
# local-chromium-h3.sh -- a browser's HTTP/3 through local mode (issue
# 17): Debian's chromium, headless and captured by name in netns A, loads
# a page from ngtcp2's example server (gtlsserver, HTTP/3 only, netns B)
# with QUIC forced for that origin. trawl's CA is in the browser's own NSS
# database (certutil), as a user would add it. The page arrives, and each
# request the browser made is an HTTP/3 flow in the dump and the HAR.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 150 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
. tests/e2e/h2-common.inc
for c in chromium certutil gtlsserver; do
	command -v $c >/dev/null || fail "$c missing (chromium, libnss3-tools, ngtcp2-server)"
done

start_servers
h2_certs "$T" "DNS:www.test.trawl,IP:192.0.2.1" || fail "test certificates"
mkdir -p "$T/www"
cat >"$T/www/index.html" <<'HTML'
<!doctype html><html><head><title>h3 page</title>
<link rel="icon" href="data:,"></head>
<body><p id="x">served over HTTP/3 through trawl</p></body></html>
HTML
inb gtlsserver -q -d "$T/www" 192.0.2.1 443 "$T/srv.key" "$T/srv.pem"
sleep 0.5

start_trawl "chromium" --confdir "$T/conf" --upstream-ca "$T/ca.pem" \
    -w "$T/chromium.har"
# The browser's profile and NSS database live in the test's folder.
H=$T/home
mkdir -p "$H/.pki/nssdb"
certutil -d "sql:$H/.pki/nssdb" -N --empty-password || fail "certutil -N"
certutil -d "sql:$H/.pki/nssdb" -A -t "C,," -n "trawl CA" \
    -i "$T/conf/trawl-ca-cert.pem" || fail "certutil -A"

# Chromium runs as root here: no sandbox. No other host is reachable.
bgcg env HOME="$H" chromium --headless=new --no-sandbox --disable-gpu \
    --no-first-run --user-data-dir="$H/profile" --enable-quic \
    --origin-to-force-quic-on=www.test.trawl:443 \
    --host-resolver-rules="MAP www.test.trawl 192.0.2.1" \
    --timeout=15000 --dump-dom https://www.test.trawl/index.html \
    >"$T/dom" 2>"$T/chromium.err"
wait $p
grep -q "served over HTTP/3 through trawl" "$T/dom" ||
	fail "chromium did not get the page: $(tail -5 "$T/chromium.err")"
ok "chromium loads the page over QUIC through trawl"

waitfor "GET https://www.test.trawl/index.html" 5 ||
	fail "no flow for the page in the dump"
stop_trawl
/usr/bin/python3 - "$T/chromium.har" <<'PY' || fail "the browser's flow in the HAR"
import json, sys
es = [e for e in json.load(open(sys.argv[1]))["log"]["entries"]
      if e["request"]["url"] == "https://www.test.trawl/index.html"]
assert len(es) >= 1, "no entry"
e = es[0]
assert e["request"]["httpVersion"] == "HTTP/3", e["request"]["httpVersion"]
assert e["response"]["status"] == 200, e["response"]["status"]
assert "served over HTTP/3" in e["response"]["content"]["text"]
ua = {h["name"].lower(): h["value"] for h in e["request"]["headers"]}
assert "Chrome" in ua.get("user-agent", ""), ua
print("har ok")
PY
ok "the page is an HTTP/3 flow of chromium's: URL, status, body, User-Agent"
