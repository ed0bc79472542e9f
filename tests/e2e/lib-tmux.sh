# lib-tmux.sh: drive the console in tmux, for the console tests (sourced after
# lib.sh). A tmux server of the test's own (SOCK), killed at exit.
#   console NAME WxH ARGS...      start kingface in a new session (TERM is
#                                 $CONSOLE_TERM, default xterm-256color; more
#                                 environment in $CONSOLE_ENV)
#   keys SESSION KEYS...          send keys
#   wait_for SESSION TEXT [S]     poll the screen until it shows TEXT (S seconds, 20)
#   wait_gone SESSION TEXT [S]    ... until it no longer does
#   save SESSION VIEW             keep the screen as screens/VIEW
#   ended_ok SESSION              kingface ended by itself, status 0, no sanitizer report
SOCK="kf-e2e-$$"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; [ -f "$TRASH/.pids" ] && kill -9 $(cat "$TRASH/.pids") 2>/dev/null; rm -rf "$TRASH"' EXIT

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
console() {
	local name=$1 w=${2%x*} h=${2#*x}
	shift 2
	tm new-session -d -s "$name" -x "$w" -y "$h" -c "$TRASH" \
		"PATH='$TRASH/bin':\$PATH TERM=${CONSOLE_TERM:-xterm-256color} LANG=C.UTF-8 WORKER_CONCURRENCY=2 ${CONSOLE_ENV:-} '$KINGFACE' $* 2>$name.err; echo \$? >$name.exit; sleep 600"
}
keys() { local s=$1; shift; tm send-keys -t "$s" "$@"; }
# wait_screen SESSION GREP-MODE PATTERN SECONDS [gone]: until `grep GREP-MODE`
# finds PATTERN on the session's screen, or with "gone" until it does not
# (wait_for, wait_gone: a fixed string; wait_match: an extended regex)
wait_screen() {
	local i found
	for i in $(seq 1 $(( $4 * 10 ))); do
		tm capture-pane -p -t "$1" >screen.txt 2>/dev/null
		found=0
		grep -q "$2" -- "$3" screen.txt && found=1
		[ "$found" = "$([ "${5:-}" = gone ] && echo 0 || echo 1)" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$3'${5:+ to go}; the screen:"
	cat screen.txt
	return 1
}
wait_for() { wait_screen "$1" -F "$2" "${3:-20}"; }
wait_match() { wait_screen "$1" -E "$2" "${3:-20}"; }
wait_gone() { wait_screen "$1" -F "$2" "${3:-20}" gone; }
save() { mkdir -p screens && tm capture-pane -p -t "$1" >"screens/$2"; }
ended_ok() {
	local i
	for i in $(seq 1 100); do [ -f "$1.exit" ] && break; sleep 0.1; done
	test "$(cat "$1.exit" 2>/dev/null)" = 0 && ! grep -qi sanitizer "$1.err" && return 0
	echo "kingface ($1) ended with status '$(cat "$1.exit" 2>/dev/null)'; its stderr:"
	cat "$1.err"
	return 1
}
