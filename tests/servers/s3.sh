#!/usr/bin/env bash
# servers/s3.sh: a throw-away S3 on loopback for the connected-mode tests
# (a CTest fixture, see tests/CMakeLists.txt).
#   s3.sh start DIR PORT   s3rver on 127.0.0.1:PORT+5 storing under DIR/data,
#                          behind s3gate.mjs on 127.0.0.1:PORT (checks SigV4)
#   s3.sh stop DIR         stop both and remove the data
# Credentials and region come from KF_TEST_S3_KEY_ID, KF_TEST_S3_SECRET and
# KF_TEST_S3_REGION; tests make their own buckets (tests/e2e/lib-s3.sh).
set -euo pipefail

cmd=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
modules="$here/../../.deps/servers/node_modules"
[ -d "$modules/s3rver" ] || { echo "s3.sh: no s3rver in $modules (run scripts/setup)" >&2; exit 1; }
export NODE_PATH="$modules"
export NODE_OPTIONS=--openssl-legacy-provider

stop() {
	for name in gate s3rver; do
		if [ -f "$dir/$name.pid" ]; then
			kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
			rm -f "$dir/$name.pid"
		fi
	done
	rm -rf "$dir/data"
}

# wait_port PORT PID NAME: until PORT answers HTTP, or PID died, or 30 s.
wait_port() {
	for _ in $(seq 1 300); do
		kill -0 "$2" 2>/dev/null || { echo "s3.sh: $3 exited:" >&2; cat "$dir/$3.log" >&2; return 1; }
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		sleep 0.1
	done
	echo "s3.sh: $3 does not answer on port $1" >&2
	return 1
}

case $cmd in
start)
	port=$3 inner=$(($3 + 5))
	mkdir -p "$dir"
	stop
	mkdir -p "$dir/data"
	: "${KF_TEST_S3_KEY_ID:?}" "${KF_TEST_S3_SECRET:?}" "${KF_TEST_S3_REGION:?}"
	# ES modules resolve imports from the script's folder, never NODE_PATH:
	# run copies that sit next to a node_modules link (tests use DIR/s3ctl.mjs)
	ln -sfn "$modules" "$dir/node_modules"
	cp "$here/s3gate.mjs" "$here/s3ctl.mjs" "$dir/"
	node "$dir/s3ctl.mjs" serve "$inner" "$dir/data" >"$dir/s3rver.log" 2>&1 &
	echo $! >"$dir/s3rver.pid"
	wait_port "$inner" "$(cat "$dir/s3rver.pid")" s3rver
	node "$dir/s3gate.mjs" "$port" "$inner" >"$dir/gate.log" 2>&1 &
	echo $! >"$dir/gate.pid"
	wait_port "$port" "$(cat "$dir/gate.pid")" gate
	;;
stop)
	stop
	;;
*)
	echo "usage: s3.sh start DIR PORT | stop DIR" >&2
	exit 2
	;;
esac
