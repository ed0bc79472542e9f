#!/usr/bin/env bash
# process under ThreadSanitizer: two workers while another process reads the
# status, the console's UI thread and its workers, then kill -9 mid-gallery and a new run that reclaims the leases (the
# killed process's, and an expired one of another machine). Registered only in
# a TSan build (-DKF_SANITIZE=thread; scripts/test builds one): TSAN_OPTIONS
# (tests/CMakeLists.txt) makes any report end kingface with status 66.
. "$(dirname "$0")/lib.sh"

demo_photos g
kf gallery import g >/dev/null
P="--tiles off --concurrency 2"
expected_faces=$(kf detect "$KF_TEST_DEMO"/sample*.jpg --json | jq "[.images[].faces | length] | add")

# no_report FILE...: no ThreadSanitizer report in the files (else show it)
no_report() {
	! grep -A40 "ThreadSanitizer" "$@"
}

test_expect_success 'two workers while status reads: no race, every photo once' '
	kf_bg run1.out process g $P --json
	pid=$!
	reads=0
	while kill -0 $pid 2>/dev/null; do
		kf status g --json >>status.out 2>&1 || { cat status.out; return 1; }
		reads=$((reads + 1))
	done
	no_report run1.out status.out && wait $pid &&
	echo "status reads: $reads" && test $reads -ge 2 &&
	kf status g --json >st.json &&
	jq -e ".done == 6 and .running == 0 and .faces == $expected_faces" st.json
'

# wait_done N: until the gallery has N photos done (a status read each 0.1 s)
wait_done() {
	for i in $(seq 1 1200); do
		[ "$(kf status g --json | jq .done)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

test_expect_success 'the console processes with 2 workers (from the cache): no race' '
	kf queue g --all >/dev/null &&
	{ printf p; wait_done 6; } |
		WORKER_CONCURRENCY=2 TERM=xterm kf --headless >console.out 2>console.err &&
	no_report console.err && kf status g --json | jq -e ".done == 6"
'

test_expect_success 'kill -9 mid-gallery, then a new run reclaims the leases' '
	kf client add g Ana >/dev/null &&
	kf enroll g Ana --photo sample1.jpg --face 0 >/dev/null &&
	kf settings set cache-ttl-days 0 >/dev/null &&
	kf queue g --all >/dev/null &&
	kf_bg run2.out process g $P
	pid=$!
	for i in $(seq 1 1200); do
		done=$(kf status g --json | jq .done) && [ "$done" -ge 2 ] && break
		sleep 0.1
	done &&
	kill -9 $pid && { wait $pid; true; } && no_report run2.out &&
	kf status g --json >killed.json && cat killed.json &&
	before=$(jq .done killed.json) && test "$before" -lt 6 &&
	# a pending photo held by another machine whose lease expired a minute ago
	sqlite3 "$KINGFACE_DB" "UPDATE photo_jobs SET state = '"'running'"',
		lease_owner = '"'elsewhere:1:0'"', lease_expires_at = $(( $(date +%s) * 1000 - 60000 ))
		WHERE id = (SELECT min(id) FROM photo_jobs WHERE state = '"'pending'"')" &&
	kf status g --json | jq -e ".running >= 1" &&
	kf process g $P --json >run3.json 2>run3.err && cat run3.json && no_report run3.err &&
	test "$(jq .processed run3.json)" = $((6 - before)) &&
	kf status g --json >st.json &&
	jq -e ".done == 6 and .running == 0 and .pending == 0 and .faces == $expected_faces" st.json &&
	kf results g --client Ana --json | jq -e ".photos | length >= 1"
'

test_done
