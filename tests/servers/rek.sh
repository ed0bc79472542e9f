#!/usr/bin/env bash
# servers/rek.sh: a fake Amazon Rekognition on loopback for the connected-mode
# tests (a CTest fixture, see tests/CMakeLists.txt).
#   rek.sh start DIR PORT   rekfake.mjs on 127.0.0.1:PORT (checks SigV4 with
#                           AWS's signer, state in memory; log in DIR/rek.log)
#   rek.sh stop DIR         stop it
# Credentials and region come from KF_TEST_S3_KEY_ID, KF_TEST_S3_SECRET and
# KF_TEST_S3_REGION. Tests script what is in an image and which errors come
# next through its /_fake/ paths (documented at the top of rekfake.mjs).
set -euo pipefail

cmd=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
modules="$here/../../.deps/servers/node_modules"
[ -d "$modules/@smithy/signature-v4" ] ||
	{ echo "rek.sh: no @smithy/signature-v4 in $modules (run scripts/setup)" >&2; exit 1; }
export NODE_PATH="$modules"

stop() {
	if [ -f "$dir/rek.pid" ]; then
		kill "$(cat "$dir/rek.pid")" 2>/dev/null || true
		rm -f "$dir/rek.pid"
	fi
}

case $cmd in
start)
	port=$3
	mkdir -p "$dir"
	stop
	: "${KF_TEST_S3_KEY_ID:?}" "${KF_TEST_S3_SECRET:?}" "${KF_TEST_S3_REGION:?}"
	# ES modules resolve imports from the script's folder, never NODE_PATH:
	# run a copy that sits next to a node_modules link
	ln -sfn "$modules" "$dir/node_modules"
	cp "$here/rekfake.mjs" "$dir/"
	node "$dir/rekfake.mjs" "$port" >"$dir/rek.log" 2>&1 &
	echo $! >"$dir/rek.pid"
	for _ in $(seq 1 300); do
		kill -0 "$(cat "$dir/rek.pid")" 2>/dev/null ||
			{ echo "rek.sh: rekfake exited:" >&2; cat "$dir/rek.log" >&2; exit 1; }
		curl -s -o /dev/null "http://127.0.0.1:$port/_fake/ping" && exit 0
		sleep 0.1
	done
	echo "rek.sh: rekfake does not answer on port $port" >&2
	exit 1
	;;
stop)
	stop
	;;
*)
	echo "usage: rek.sh start DIR PORT | stop DIR" >&2
	exit 2
	;;
esac
