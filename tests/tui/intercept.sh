#!/bin/sh
# intercept.sh -- the screen in tmux: i pauses curl, which waits, and A
# lets it finish; e with EDITOR set to a script changes a header the
# server then sees; X releases a paused client with an error; r adds a
# replayed flow.
S=trawl-tui-icpt-$$
. "$(dirname "$0")/screen.inc"
# Waits (10 s at most) for a background curl to end.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}

OP=$(free_port); TP=$(free_port)
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }

# The editor: a script that rewrites the User-Agent field.
cat >"$TMP/ed.sh" <<'ED'
#!/bin/sh
sed -i 's/^User-Agent: .*/User-Agent: trawl-edited\r/' "$1"
ED
chmod +x "$TMP/ed.sh"

tmux new-session -d -s "$S" -x 120 -y 40 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color EDITOR=$TMP/ed.sh VISUAL= \
    $TRAWL --mode regular@$TP 2>$TMP/err; echo trawl-exit-\$?; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

bg_curl() { # NAME PATH -> $CURL_PID, body in $TMP/NAME, status in $TMP/NAME.code
	curl -s --max-time 20 -x "http://127.0.0.1:$TP" -o "$TMP/$1" \
	    -w '%{http_code}' "http://127.0.0.1:$OP$2" >"$TMP/$1.code" &
	CURL_PID=$!
	cleanup_add "kill $CURL_PID"
}

tmux send-keys -t "$S" i
tmux send-keys -t "$S" -l '~q & ~u /headers'
# The prompt line reads the same as the status bar: let Enter land first.
keys Enter
sleep 0.3
expect "i adds a rule shown in the status bar" "intercept: ~q & ~u /headers"

# i pauses, A resumes.
bg_curl one /headers
expect "the request is paused" "||"
sleep 1
check "curl waits while the flow is paused" kill -0 "$CURL_PID"
tmux send-keys -t "$S" A
check "A lets curl finish" wait_gone "$CURL_PID"
eq "curl got the answer" "$(cat "$TMP/one.code")" 200
contains "the server saw the request" "$TMP/one" "GET /headers"

# e edits the paused request in $EDITOR, a resumes it.
bg_curl two /headers
sleep 0.5
expect "the second request is paused" "||"
tmux send-keys -t "$S" e
expect "the editor ran and the edit applied" "request edited"
tmux send-keys -t "$S" a
check "a lets the edited request go" wait_gone "$CURL_PID"
contains "the server saw the edited header" "$TMP/two" "User-Agent: trawl-edited"

# X kills a paused flow: the client gets an error at once.
bg_curl three /headers
sleep 0.5
expect "the third request is paused" "||"
tmux send-keys -t "$S" X
check "X releases curl" wait_gone "$CURL_PID"
eq "curl got 502" "$(cat "$TMP/three.code")" 502

# r replays the focused flow (interception off, or it would pause).
tmux send-keys -t "$S" I
expect "I turns interception off" "interception off"
tmux send-keys -t "$S" k k
tmux send-keys -t "$S" r
expect "r adds a replayed flow" "replaying as flow 4"
expect "the replay is in the list" "[4/4]"

tmux send-keys -t "$S" Q
expect "Q quits at once" "trawl-exit-0"
finish
