#!/bin/sh
# local-container.sh -- local mode inside a container (tests/e2e/
# container.inc: its own netns, veth, default route and cgroup, no
# runtime): --container PID, and --netns /run/netns/NAME --cgroup DIR,
# capture its curl's HTTP and HTTPS and its DNS, and nothing outside it
# (its netns outside its cgroup, its cgroup outside its netns); after
# trawl's end (SIGTERM, SIGKILL, its redirector SIGKILLed) no tun, IPv6 rule, BPF link or changed
# sysctl remains in the container. Bad --netns/--container: an error
# before anything starts.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
. "$(dirname "$0")/container.inc"

make_container
# An HTTPS origin in B with a test CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Ctr Test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=www.test.trawl" 2>/dev/null
printf 'subjectAltName=IP:192.0.2.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
inb python3 tests/e2e/origin.py 443 192.0.2.1 "$T/srv.pem" "$T/srv.key"
# A server only the container reaches (the host has no route to it).
inb python3 tests/e2e/origin.py 8080 198.51.100.1
start_servers
i=0
until inc curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1/len/1 &&
    inc curl -s -o /dev/null -m 1 http://198.51.100.1:8080/len/1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the container does not reach the servers"
	sleep 0.05
done
cat >"$T/dnsq.py" <<'PY'
# dnsq.py SERVER NAME: one A query; prints rcode and answer count.
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in sys.argv[2].split("."))
q += b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, (sys.argv[1], 53))
r = s.recv(4096)
print("rcode", r[3] & 15, "answers", struct.unpack(">H", r[6:8])[0])
PY

# A strict rp_filter in the container, which must come back as it was.
inns sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter'
csys() { inns cat "/proc/sys/net/$1"; }
TCA=$T/conf/trawl-ca-cert.pem
mkdir "$T/conf"
: >"$T/plain"

# nothing_left HOW: no tun, rule, link or changed sysctl in the container.
nothing_left() {
	i=0
	while bpftool cgroup show "$CG" | grep -q rd_ ||
	    ip -n $C link show "$TUN" >/dev/null 2>&1 ||
	    ip -n $C -6 rule | grep -q 29810; do
		i=$((i + 1))
		if [ $i -gt 40 ]; then
			bpftool cgroup show "$CG" | grep -q rd_ &&
				fail "$1: BPF link left on $CG"
			ip -n $C link show "$TUN" >/dev/null 2>&1 &&
				fail "$1: $TUN left in the container"
			fail "$1: IPv6 rule left in the container"
		fi
		sleep 0.05
	done
	ip -n $C link | grep -q trawl && fail "$1: a trawl link in the container"
	[ "$(csys ipv4/conf/all/rp_filter)" = 1 ] ||
		fail "$1: the container's all.rp_filter not restored"
	inc curl -sS -m 2 -o /dev/null http://192.0.2.1/len/10 ||
		fail "$1: the container does not reach the server directly"
	ok "$1: nothing left in the container, its curl reaches the server"
}

# --container PID: its netns and its cgroup.
start_ctrawl --container $CPID --confdir "$T/conf" --upstream-ca "$T/ca.pem"
ip -n $C link show "$TUN" >/dev/null 2>&1 || fail "no $TUN in the container"
ip -n $A link show "$TUN" >/dev/null 2>&1 && fail "$TUN made on the host"
bpftool cgroup show "$CG" | grep -q rd_ || fail "not attached to $CG"
grep -q "upstream from the host" "$T/trawl.err" ||
	fail "the status does not say where upstream leaves from"
[ "$(csys ipv4/conf/all/rp_filter)" = 2 ] ||
	fail "the container's strict rp_filter not loosened"
bginc curl -sS -m 5 -o /dev/null http://192.0.2.1/len/100
wait $p || fail "the container's curl through trawl"
waitfor "curl:$p GET http://192\.0\.2\.1/len/100 << 200" ||
	fail "the container's HTTP not captured"
bginc curl -sS -m 5 --cacert "$TCA" -o "$T/body" https://192.0.2.1/len/200
wait $p || fail "the container's curl https through trawl"
[ "$(wc -c <"$T/body")" = 200 ] || fail "https body"
waitfor "curl:$p GET https://192\.0\.2\.1/len/200 << 200" ||
	fail "the container's HTTPS not decrypted"
out=$(inc /usr/bin/python3 "$T/dnsq.py" 192.0.2.1 www.test.trawl) || fail "DNS: $out"
[ "$out" = "rcode 0 answers 1" ] || fail "DNS answer: $out"
waitfor "python3:[0-9]+ dns 192\.0\.2\.1:53 " || fail "the container's DNS not captured"
ok "--container PID captures its HTTP, HTTPS and DNS"
# Outside the container: its netns outside its cgroup, and its cgroup
# in another netns (the host's).
inns curl -sS -m 3 -o /dev/null http://192.0.2.1/len/301 || fail "curl outside the cgroup"
incg curl -sS -m 3 -o /dev/null http://192.0.2.1/len/302 || fail "curl on the host"
bginc curl -sS -m 5 -o /dev/null http://192.0.2.1/len/303
wait $p || fail "curl through trawl"
waitfor "/len/303 << 200" || fail "the container's curl not captured"
absent "/len/301" || fail "a process outside the container's cgroup was captured"
absent "/len/302" || fail "a process outside the container's netns was captured"
ok "processes outside the container are not captured"
# Upstream from the host: what only the container reaches fails.
code=$(inc curl -s -m 5 -o /dev/null -w '%{http_code}' http://198.51.100.1:8080/len/5)
[ "$code" != 200 ] || fail "upstream left from the container without --netns-upstream"
ok "upstream connections leave from the host"
stop_trawl TERM
nothing_left SIGTERM

# --netns /run/netns/NAME --cgroup DIR; then trawl is SIGKILLed.
start_ctrawl --netns /run/netns/$C --cgroup "$CG" --confdir "$T/conf" \
    --upstream-ca "$T/ca.pem"
ip -n $C link show "$TUN" >/dev/null 2>&1 || fail "no $TUN in the container"
bginc curl -sS -m 5 -o /dev/null http://192.0.2.1/len/400
wait $p || fail "curl through trawl (--netns)"
waitfor "curl:$p GET http://192\.0\.2\.1/len/400 << 200" ||
	fail "--netns --cgroup did not capture"
ok "--netns /run/netns/NAME --cgroup DIR captures the container"
stop_trawl KILL
nothing_left SIGKILL

# --netns-upstream: trawl's upstream sockets are made in the container.
start_ctrawl --container $CPID --netns-upstream --confdir "$T/conf"
grep -q "upstream from the netns" "$T/trawl.err" ||
	fail "the status does not say upstream leaves from the netns"
bginc curl -sS -m 5 -o /dev/null http://198.51.100.1:8080/len/500
wait $p || fail "curl to what only the container reaches, --netns-upstream"
waitfor "curl:$p GET http://198\.51\.100\.1:8080/len/500 << 200" ||
	fail "--netns-upstream flow missing"
out=$(inc /usr/bin/python3 "$T/dnsq.py" 192.0.2.1 www.test.trawl) || fail "DNS: $out"
waitfor "python3:[0-9]+ dns 192\.0\.2\.1:53 " || fail "DNS via --netns-upstream"
ok "--netns-upstream connects from inside the container"
# The redirector SIGKILLed: its watchdog undoes it all in the container.
RD=$(cat /proc/$TRAWL_PID/task/*/children | awk '{ print $1 }')
[ -n "$RD" ] || fail "no redirector process"
kill -9 $RD
nothing_left "the redirector SIGKILLed"
stop_trawl TERM

# A user's trawl (its redirector through sudo, opening the path with the
# user's credentials) captures that user's programs in the container.
U=trawlc$$
useradd -M -r -s /bin/sh "$U" || fail "useradd"
SUDOERS=/etc/sudoers.d/trawl-e2e-$$
trap 'rm -f "$SUDOERS"; userdel "$U" 2>/dev/null; container_cleanup' EXIT
printf '%s ALL=(root) NOPASSWD: %s\n' "$U" "$(pwd)/$BUILD/trawl-redirector" \
    >"$SUDOERS.tmp"
chmod 440 "$SUDOERS.tmp" && mv "$SUDOERS.tmp" "$SUDOERS"
visudo -cq -f "$SUDOERS" || fail "sudoers entry"
chmod 755 "$T"
mkdir "$T/uconf" && chown "$U" "$T/uconf"
TRAWL_AS=$U start_ctrawl --netns /run/netns/$C --cgroup "$CG" \
    --confdir "$T/uconf"
pgrep -f "sudo .*trawl-redirector .*--netns /run/netns/$C" >/dev/null ||
	fail "the redirector was not started through sudo"
ip -n $C link show "$TUN" >/dev/null 2>&1 || fail "no $TUN in the container"
bginc setpriv --reuid="$U" --regid="$U" --init-groups \
    curl -sS -m 5 -o /dev/null http://192.0.2.1/len/600
wait $p || fail "the user's curl through trawl"
waitfor "curl:$p GET http://192\.0\.2\.1/len/600 << 200" ||
	fail "a user's trawl did not capture the user's curl in the container"
inc curl -sS -m 3 -o /dev/null http://192.0.2.1/len/601 || fail "root's curl"
absent "/len/601" || fail "a user's trawl captured root's curl"
ok "a user's trawl captures the user's programs in the container, not root's"
stop_trawl TERM
nothing_left "a user's trawl"
# The redirector checks for itself: asked by the user for root's
# process's namespace, or for what is no network namespace, it refuses.
cat >"$T/rdhello.py" <<'PY'
# rdhello.py REDIRECTOR NETNS: start it through sudo, print the hello's text.
import os, socket, struct, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
pid = os.fork()
if pid == 0:
    os.dup2(b.fileno(), 0)
    os.execvp("sudo", ["sudo", "-n", "--", sys.argv[1], "--fd", "0",
        "--trawl-pid", str(os.getppid()), "--netns", sys.argv[2]])
b.close()
a.settimeout(5)
m = a.recv(4096)
os.waitpid(pid, 0)
status = struct.unpack("=i", m[16:20])[0]
print(status, m[-256:].split(b"\0")[0].decode())
PY
rdhello() {
	nsenter --net=/run/netns/$A setpriv --reuid="$U" --regid="$U" \
	    --init-groups /usr/bin/python3 "$T/rdhello.py" \
	    "$(pwd)/$BUILD/trawl-redirector" "$1" 2>&1
}
out=$(rdhello /proc/$CPID/ns/net)
echo "$out" | grep -q "^-1 .*Permission denied" ||
	fail "the redirector entered root's namespace for a user: $out"
out=$(rdhello "$T/plain")
echo "$out" | grep -q "^-1 .*not a namespace" ||
	fail "the redirector took a plain file: $out"
ip -n $C link | grep -q trawl && fail "the redirector made a tun anyway"
ok "the redirector opens the path as the user and checks it is a netns"

# Bad input: a clear error, nothing started.
bad() {
	want=$1; shift
	out=$(nsenter --net=/run/netns/$A "$@" --dump --confdir "$T/conf" \
	    </dev/null 2>&1)
	[ $? != 0 ] || fail "$* exited 0"
	echo "$out" | grep -q -- "$want" || fail "$*: no '$want' in: $out"
	ip -n $C link | grep -q trawl && fail "$*: a tun was made"
	bpftool cgroup show "$CG" | grep -q rd_ && fail "$*: attached"
	ok "$want"
}
bad "is not a namespace" "$TRAWL" --netns "$T/plain"
bad "is not a network namespace" "$TRAWL" --netns /proc/$CPID/ns/mnt
bad "no process 999999999" "$TRAWL" --container 999999999
bad "no process 999999999" "$TRAWL" --netns 999999999
bad "No such file" "$TRAWL" --netns /run/netns/nonexistent$$
bad "not a pid" "$TRAWL" --container web
bad "Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$TRAWL" --container $CPID
bad "needs --netns" "$TRAWL" --netns-upstream
echo PASS
