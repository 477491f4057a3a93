#!/bin/sh
# local-sudo.sh -- trawl run by a user without capabilities starts
# trawl-redirector through sudo, captures that user's programs, and cleans
# up when it goes; without sudo it says what it needs. (What it may not
# capture: tests/e2e/security-capture.sh.)
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
command -v sudo >/dev/null || fail "sudo missing (make deps)"
command -v setpriv >/dev/null || fail "setpriv missing"

U=trawle2e$$
useradd -M -r -s /bin/sh "$U" || fail "useradd"
SUDOERS=/etc/sudoers.d/trawl-e2e-$$
trap 'rm -f "$SUDOERS"; userdel "$U" 2>/dev/null; cleanup' EXIT
RD=$(pwd)/$BUILD/trawl-redirector
printf '%s ALL=(root) NOPASSWD: %s\n' "$U" "$RD" >"$SUDOERS.tmp"
chmod 440 "$SUDOERS.tmp" && mv "$SUDOERS.tmp" "$SUDOERS"
visudo -cq -f "$SUDOERS" || fail "sudoers entry"
chmod 755 "$T"
mkdir "$T/conf" && chown "$U" "$T/conf"

start_servers
TRAWL_AS=$U start_trawl curl --confdir "$T/conf"
[ "$(stat -c %U /proc/$TRAWL_PID)" = "$U" ] || fail "trawl does not run as $U"
pgrep -f "sudo .*trawl-redirector --fd 0 --trawl-pid $TRAWL_PID" >/dev/null ||
	fail "the redirector was not started through sudo"
ok "a user's trawl starts trawl-redirector through sudo"

# The user's own curl: a user's trawl captures that user's processes.
bgcg setpriv --reuid="$U" --regid="$U" --init-groups \
    curl -sS -m 3 -o /dev/null http://192.0.2.1/len/100
wait $p || fail "curl through trawl"
waitfor "curl:$p GET http://192\.0\.2\.1/len/100 << 200 OK" ||
	fail "curl's flow missing"
ok "and captures the user's own programs"

stop_trawl
i=0
while bpftool cgroup show "$CG" | grep -q rd_ || ip -n $A link | grep -q "$TUN"; do
	i=$((i + 1)); [ $i -gt 20 ] && fail "capture left behind after trawl quit"
	sleep 0.05
done
ok "quitting removes the link and the tun"

# Neither root nor sudo: a clear message, nothing attached.
out=$(nsenter --net=/run/netns/$A setpriv --reuid="$U" --regid="$U" \
    --init-groups env PATH=/nonexistent "$TRAWL" --mode local:curl \
    --cgroup "$CG" --confdir "$T/conf" --dump </dev/null 2>&1)
rc=$?
[ $rc != 0 ] || fail "trawl without root or sudo exited 0"
echo "$out" | grep -q "install sudo" || fail "no explanation: $out"
bpftool cgroup show "$CG" | grep -q rd_ && fail "attached without root"
ok "without root or sudo it explains what is needed"
echo PASS
