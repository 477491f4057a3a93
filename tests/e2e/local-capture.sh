#!/bin/sh
# local-capture.sh -- trawl --mode local:SPEC captures what the spec names
# and nothing else, with the creator's name and pid: HTTP over IPv4 and
# IPv6, DNS over UDP as DNS flows (name, type, answers), a UDP echo as a
# udp flow with byte counts, refused upstreams reported within a second,
# spec changes at run time (the dump's "spec" command), pid specs, and no
# flow from a non-target program's multicast.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

start_servers
start_trawl curl -w "$T/flows.har"

# local:curl captures curl, named with its pid, and not wget.
bgcg curl -sS -m 3 -o /dev/null http://192.0.2.1/len/100
wait $p || fail "curl through trawl"
waitfor "curl:$p GET http://192\.0\.2\.1/len/100 << 200 OK 100b" ||
	fail "curl's flow (pid $p) missing"
ok "local:curl captures curl with its pid"
bgcg curl -sS -m 3 -o /dev/null 'http://[2001:db8::1]/len/300'
wait $p || fail "curl over IPv6"
waitfor "\[fd74:7261:776c::1\]:[0-9]+ curl:$p GET http://\[2001:db8::1\]/len/300 << 200" ||
	fail "IPv6 flow missing"
ok "IPv6"
incg wget -q -T 3 -t 1 -O /dev/null http://192.0.2.1/len/200 ||
	fail "wget (not captured) failed"
absent "/len/200" && absent "wget:" || fail "wget was captured"
ok "local:curl leaves wget alone"

# A refused TCP upstream: the client hears within a second (a 502 for
# HTTP, which the proxy answers once the connect is refused).
s=$(date +%s%N)
code=$(incg curl -s -m 3 -o /dev/null -w '%{http_code}' http://192.0.2.1:81/x)
e=$((($(date +%s%N) - s) / 1000000))
[ "$code" = 502 ] || [ "$code" = 000 ] || fail "refused TCP: status $code"
[ $e -lt 1000 ] || fail "refused TCP took $e ms"
ok "refused TCP upstream reported in $e ms ($code)"

# A non-target program's multicast, even sent at the tun, makes no flow.
ina python3 - "$TUN" <<'EOF' || fail "multicast sender"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.213.0.1"))
try:
    s.sendto(b"M-SEARCH * HTTP/1.1\r\n\r\n", ("239.255.255.250", 1900))
except OSError:
    pass
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
try:
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(sys.argv[1]))
    s6.sendto(b"\0" * 12, ("ff02::fb", 5353))
except OSError:
    pass
EOF
incg sh -c 'exec python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(\"192.0.2.2\"))
s.sendto(b\"M-SEARCH\", (\"239.255.255.250\", 1900))
"' || fail "multicast sender in the cgroup"

# Run-time spec change: python3 too, then DNS and UDP through it.
[ "$(ctl 'spec curl,python3')" = ok ] || fail "spec change refused"
[ "$(ctl 'spec curl,,x')" != ok ] || fail "a bad spec was accepted"
cat >"$T/dnsq.py" <<'EOF'
# dnsq.py SERVER NAME QTYPE: one query; prints rcode and answer count.
import socket, struct, sys
srv, name, qtype = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
q += struct.pack(">HH", qtype, 1)
fam = socket.AF_INET6 if ":" in srv else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, (srv, 53))
r = s.recv(4096)
print("rcode", r[3] & 15, "answers", struct.unpack(">H", r[6:8])[0])
EOF
out=$(incg python3 "$T/dnsq.py" 192.0.2.1 alias.test.trawl 1) ||
	fail "DNS query: $out"
[ "$out" = "rcode 0 answers 2" ] || fail "DNS answer: $out"
out=$(incg python3 "$T/dnsq.py" 2001:db8::1 www.test.trawl 28) ||
	fail "DNS query over IPv6: $out"
out=$(incg python3 "$T/dnsq.py" 192.0.2.1 nothing.test.trawl 1) ||
	fail "DNS query for a missing name: $out"
waitfor "python3:[0-9]+ dns 192\.0\.2\.1:53 " || fail "no DNS flow"
waitfor "python3:[0-9]+ dns \[2001:db8::1\]:53 " || fail "no IPv6 DNS flow"
ok "DNS over UDP as DNS flows"

# UDP echo: 3 datagrams of 100 bytes each way; a refused UDP port gets
# ICMP unreachable within a second.
incg python3 - <<'EOF' || fail "UDP echo through trawl"
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(3):
    s.sendto(bytes([65 + i]) * 100, ("192.0.2.1", 7777))
    assert s.recv(200) == bytes([65 + i]) * 100
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.settimeout(1)
r.connect(("192.0.2.1", 7778))
t = time.time()
r.send(b"anyone?")
try:
    r.recv(100)
    raise SystemExit("no refusal")
except ConnectionRefusedError:
    print("ok - refused UDP reported in %d ms" % ((time.time() - t) * 1000))
EOF

# A pid spec: only that process, whatever its name.
cat >"$T/get.py" <<'EOF'
# get.py DIR: writes its pid to DIR/pid, waits for DIR/go, fetches a URL.
import os, sys, time, urllib.request
d = sys.argv[1]
open(d + "/pid.tmp", "w").write(str(os.getpid()))
os.rename(d + "/pid.tmp", d + "/pid")
while not os.path.exists(d + "/go"):
    time.sleep(0.01)
urllib.request.urlopen(sys.argv[2], timeout=3).read()
EOF
getpy() { # URL: run get.py; its pid in $P once it waits
	rm -f "$T/pid" "$T/go"
	bgcg python3 "$T/get.py" "$T" "$1"
	J=$p
	i=0
	until [ -f "$T/pid" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "get.py did not start"
		sleep 0.05
	done
	P=$(cat "$T/pid")
}
getpy http://192.0.2.1/len/401; P1=$P J1=$J
getpy http://192.0.2.1/len/402; P2=$P J2=$J
[ "$(ctl "spec $P1")" = ok ] || fail "pid spec refused"
touch "$T/go"
wait $J1 && wait $J2 || fail "get.py"
waitfor "python3:$P1 GET http://192\.0\.2\.1/len/401 << 200" ||
	fail "pid $P1 not captured"
absent "/len/402" || fail "pid $P2 captured under spec $P1"
ok "pid spec"

# The opposite at run time: !curl captures wget, not curl.
[ "$(ctl 'spec !curl')" = ok ] || fail "spec !curl refused"
bgcg wget -q -T 3 -t 1 -O /dev/null http://192.0.2.1/len/500
wait $p || fail "wget through trawl"
waitfor "wget:$p GET http://192\.0\.2\.1/len/500 << 200" ||
	fail "wget not captured under !curl"
incg curl -sS -m 3 -o /dev/null http://192.0.2.1/len/501 || fail "curl"
absent "/len/501" || fail "curl captured under !curl"
ok "run-time spec change to !curl"

stop_trawl TERM
grep -q -E "python3:[0-9]+ udp 192\.0\.2\.1:7777 << up 300b down 300b" \
    "$T/dump.out" || fail "UDP echo flow with byte counts"
ok "UDP echo as a udp flow with byte counts"
absent "239\.255\.255\.250|ff02::" || fail "multicast made a flow"
ok "no flow from multicast"

# The DNS flows in the HAR: name, type, rcode and answers.
python3 - "$T/flows.har" <<'EOF' || fail "DNS flows in the HAR"
import json, sys
dns = [e["_dns"] for e in json.load(open(sys.argv[1]))["log"]["entries"]
       if "_dns" in e]
def find(name, qtype):
    for d in dns:
        if d["name"] == name and d["qtype"] == qtype:
            return d
    raise SystemExit("no DNS flow for %s type %d in %r" % (name, qtype, dns))
d = find("alias.test.trawl", 1)
assert d["rcode"] == 0, d
assert "alias.test.trawl. " in d["answers"], d
assert " IN CNAME www.test.trawl." in d["answers"], d
assert " IN A 192.0.2.80" in d["answers"], d
d = find("www.test.trawl", 28)
assert " IN AAAA 2001:db8::80" in d["answers"], d
d = find("nothing.test.trawl", 1)
assert d["rcode"] == 3, d
print("ok - DNS flows: name, type, rcode and answers")
EOF
echo PASS
