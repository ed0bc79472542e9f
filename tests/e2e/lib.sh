# lib.sh: sourced by the end-to-end tests (git's t/test-lib.sh in small).
#
# Each test script runs in a fresh trash folder with its own database
# (KINGFACE_DB) and XDG folders, runs the kingface binary ($KINGFACE, set by
# CTest), and reports "N passed, N failed". Helpers:
#   test_expect_success 'title' 'commands'   run commands in a subshell, expect 0
#   test_expect_failure_code N 'title' 'cmd'  expect exit status N
#   test_cmp expect actual                    diff, fail when different
#   kf ARGS...                                the binary
set -u

: "${KINGFACE:?run through ctest (KINGFACE is the binary)}"
: "${KF_SOURCE_DIR:?}"
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/kf-e2e.XXXXXX")
# background kingface processes (kf_bg) never outlive the test
trap '[ -f "$TRASH/.pids" ] && kill -9 $(cat "$TRASH/.pids") 2>/dev/null; rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1
export KINGFACE_DB="$TRASH/kingface.db"
export XDG_DATA_HOME="$TRASH/xdg-data" XDG_CONFIG_HOME="$TRASH/xdg-config"
export HOME="$TRASH"
unset KINGFACE_MODELS KINGFACE_PG_URL KINGFACE_BUCKET KINGFACE_PHOTO_CACHE XDG_CACHE_HOME
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_REGION

test_count=0
test_fail=0

kf() { "$KINGFACE" "$@"; }

# kf_bg OUT ARGS...: run kingface in the background with its output in OUT;
# $! is its pid afterwards. Killed at exit if still running.
kf_bg() {
	local out=$1
	shift
	"$KINGFACE" "$@" >"$out" 2>&1 &
	echo $! >>"$TRASH/.pids"
}

say() { printf '%s\n' "$*"; }

test_expect_success() {
	test_count=$((test_count + 1))
	if (set -e; eval "$2") >"$TRASH/.out" 2>&1; then
		say "ok $test_count - $1"
		[ -n "${KF_TEST_VERBOSE:-}" ] && sed 's/^/#   /' "$TRASH/.out"
	else
		test_fail=$((test_fail + 1))
		say "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

# test_expect_code N 'title' 'commands': the last command exits with status N.
test_expect_code() {
	test_count=$((test_count + 1))
	local want=$1 got
	(eval "$3") >"$TRASH/.out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		say "ok $test_count - $2"
	else
		test_fail=$((test_fail + 1))
		say "not ok $test_count - $2 (exit $got, expected $want)"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

# test_expect_code_inline N CMD...: inside a test, CMD exits with status N.
test_expect_code_inline() {
	local want=$1 got
	shift
	"$@" >/dev/null 2>&1
	got=$?
	[ "$got" = "$want" ] || { echo "'$*' exited $got, expected $want"; return 1; }
}

test_cmp() {
	diff -u "$1" "$2"
}

# Fails unless file $1 contains the fixed string $2.
test_grep() {
	grep -qF -- "$2" "$1" || { echo "'$2' not in $1:"; cat "$1"; return 1; }
}

# A folder of photos: the face-api sample photos (scripts/setup extracts them).
demo_photos() {
	mkdir -p "$1" && cp "$KF_TEST_DEMO"/sample*.jpg "$1"/
}

# pg_test_db NAME [demo]: a fresh database on the test PostgreSQL (the pg
# fixture) with the platform's tables, and demo.sql's gallery with "demo";
# prints its URL.
pg_test_db() {
	local db="kf_$1" base=${KF_TEST_PG_URL%/*}
	psql -X -q -v ON_ERROR_STOP=1 "$KF_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $db" \
		-c "CREATE DATABASE $db" >/dev/null || return 1
	psql -X -q -v ON_ERROR_STOP=1 "$base/$db" -f "$KF_TEST_DATA/platform/schema.sql" \
		>/dev/null || return 1
	if [ "${2:-}" = demo ]; then
		psql -X -q -v ON_ERROR_STOP=1 "$base/$db" -f "$KF_TEST_DATA/platform/demo.sql" \
			>/dev/null || return 1
	fi
	echo "$base/$db"
}

# pg_q URL SQL: one query's rows, unaligned, '|' between columns.
pg_q() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$1" -c "$2"
}

test_done() {
	say "$((test_count - test_fail)) passed, $test_fail failed"
	[ "$test_fail" -eq 0 ]
	exit $?
}
