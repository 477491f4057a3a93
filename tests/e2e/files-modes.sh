#!/bin/sh
# files-modes.sh -- every file trawl writes with captured data is 0600,
# whatever the umask and even when it existed with a wider mode: -w's HAR,
# the --keylog file, the screen's w save and x export (a curl command
# line with the Authorization header in it).
S=trawl-files-modes-$$
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { not_ok "tmux is installed (make deps)"; finish; }
cleanup_add "tmux kill-session -t $S"
umask 022

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
# Files that exist already, readable by everyone.
for f in w.har keys exported.sh; do
	echo old >"$TMP/$f"
	chmod 644 "$TMP/$f"
done
# A TLS origin is not needed: the key log is opened at start.
start_trawl --mode "regular@$PP" --dump -w "$TMP/w.har" --keylog "$TMP/keys"
wait_port 127.0.0.1 "$PP" || exit 1
curl -s -x "http://127.0.0.1:$PP" -H "Authorization: Bearer s3cret" \
    "http://127.0.0.1:$OP/len/10" -o /dev/null
contains "the flow is recorded" "$TMP/dump.out" "<< 200"
eq "an existing -w file is made 0600" "$(stat -c %a "$TMP/w.har")" "600"
eq "an existing --keylog file is made 0600" "$(stat -c %a "$TMP/keys")" "600"
stop_trawl
check "the HAR holds the Authorization header" grep -q s3cret "$TMP/w.har"

# The screen: x c exports a curl command line, into a new file and into
# an existing 0644 one; w saves a HAR.
TP=$(free_port)
tmux new-session -d -s "$S" -x 120 -y 40 "sh -c 'umask 022; \
    LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 \
    $TRAWL --mode regular@$TP 2>$TMP/err; echo trawl-exit-\$?; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
curl -s -x "http://127.0.0.1:$TP" -H "Authorization: Bearer s3cret" \
    "http://127.0.0.1:$OP/len/10" -o /dev/null
wait_screen() {
	i=0
	while ! tmux capture-pane -p -t "$S" | grep -qF -- "$1"; do
		i=$((i + 1)); [ $i -gt 50 ] && { tmux capture-pane -p -t "$S" | sed 's/^/    | /'; return 1; }
		sleep 0.1
	done
}
export_to() { # FILE
	tmux send-keys -t "$S" x
	wait_screen "c)url command" || return 1
	tmux send-keys -t "$S" c
	wait_screen "export to:" || return 1
	tmux send-keys -t "$S" C-u
	tmux send-keys -t "$S" -l "$1"
	tmux send-keys -t "$S" Enter
	wait_screen "exported flow"
}
check "one flow on the screen" wait_screen "[1/1]"
check "x c exports to a new file" export_to "$TMP/new.sh"
eq "the new export is 0600" "$(stat -c %a "$TMP/new.sh")" "600"
check "the export holds the Authorization header" grep -q "Authorization: Bearer s3cret" "$TMP/new.sh"
check "x c exports over an existing file" export_to "$TMP/exported.sh"
eq "the existing export is made 0600" "$(stat -c %a "$TMP/exported.sh")" "600"
check "its old contents are gone" sh -c "! grep -q '^old' '$TMP/exported.sh'"
tmux send-keys -t "$S" w C-u
tmux send-keys -t "$S" -l "$TMP/saved.har"
tmux send-keys -t "$S" Enter
check "w saves the flows" wait_screen "saved 1 flows"
eq "the saved HAR is 0600" "$(stat -c %a "$TMP/saved.har")" "600"
tmux send-keys -t "$S" Q
check "trawl quits" wait_screen "trawl-exit-0"
finish
