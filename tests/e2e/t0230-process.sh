#!/usr/bin/env bash
# process / worker / queue / jobs / requeue: retries to dead letters, kill -9
# and resume with exact counts, two worker processes sharing one gallery.
. "$(dirname "$0")/lib.sh"

# 12 photos: the 6 samples twice (different keys, same content)
mkdir -p g/a g/b && cp "$KF_TEST_DEMO"/sample*.jpg g/a/ && cp "$KF_TEST_DEMO"/sample*.jpg g/b/
kf gallery import g >/dev/null
kf client add g Ana >/dev/null && kf enroll g Ana g/a/sample1.jpg --face 0 >/dev/null
expected_faces=$(( 2 * $(kf detect "$KF_TEST_DEMO"/sample*.jpg --json | jq "[.images[].faces | length] | add") ))
P="--tiles off --concurrency 2"

test_expect_success 'queue counts the photos not done' '
	test "$(kf queue g --json | jq .queued)" = 12 &&
	test "$(kf jobs g --state pending --json | jq ".jobs | length")" = 12
'

test_expect_success 'kill -9 mid-gallery, then process again: complete, nothing twice' '
	kf_bg run1.out process g $P
	pid=$!
	for i in $(seq 1 600); do
		done=$(kf status g --json | jq .done) && [ "$done" -ge 3 ] && break
		sleep 0.1
	done &&
	kill -9 $pid && wait $pid; true &&
	before=$(kf status g --json | jq .done) && echo "done before the kill: $before" &&
	test "$before" -lt 12 &&
	kf process g $P --json >run2.json && cat run2.json &&
	test "$(jq .processed run2.json)" = $((12 - before)) &&
	kf status g --json >st && jq -e ".done == 12 and .running == 0 and .pending == 0" st &&
	test "$(jq .faces st)" = $expected_faces &&
	for key in a/sample1.jpg b/sample5.jpg; do
		kf detail g $key --json | jq -e ".faces | length > 0" >/dev/null || return 1
	done
'

test_expect_success 'process --all answers every photo from the cache' '
	kf process g $P --all --json >all.json &&
	jq -e ".total == 12 and .cached == 12 and .processed == 0" all.json &&
	test "$(kf status g --json | jq .faces)" = $expected_faces
'

test_expect_success 'a corrupt photo fails, is retried, then dead; the rest goes on' '
	head -c 20000 g/a/sample2.jpg >g/a/zz-broken.jpg && echo garbage >g/a/zz-text.jpg &&
	kf gallery import g >/dev/null &&
	kf settings set max-attempts 2 >/dev/null &&
	kf process g $P --json >bad.json && cat bad.json &&
	jq -e ".total == 2 and .dead == 2 and .failed == 2" bad.json &&
	kf jobs g --state dead --json >dead.json &&
	jq -e "[.jobs[] | {key, attempts}] == [{key: \"a/zz-broken.jpg\", attempts: 2},
		{key: \"a/zz-text.jpg\", attempts: 2}]" dead.json &&
	jq -e ".jobs[0].lastError | test(\"premature end\")" dead.json &&
	kf status g --json | jq -e ".dead == 2 and .done == 12" &&
	kf status g >st && test_grep st "why photos failed: kingface jobs g --state dead; again: kingface requeue g" &&
	kf jobs g --state dead >jobs.txt && grep -E "^ +ID  STATE +TRIES  PHOTO$" jobs.txt &&
	grep -E "^ +[0-9]+  dead +2  a/zz-text.jpg  not a JPEG or PNG file$" jobs.txt
'

test_expect_success 'requeue puts the dead jobs back to pending' '
	test "$(kf requeue g --json | jq .requeued)" = 2 &&
	test "$(kf jobs g --state pending --json | jq ".jobs | length")" = 2 &&
	kf settings set max-attempts 3 >/dev/null && rm g/a/zz-broken.jpg g/a/zz-text.jpg &&
	kf gallery import g >/dev/null
'

test_expect_success 'two worker processes share the jobs, none done twice' '
	kf settings set cache-ttl-days 0 >/dev/null &&
	kf_bg w1.out worker --gallery g --tiles off --concurrency 1
	w1=$!
	kf_bg w2.out worker --gallery g --tiles off --concurrency 1
	w2=$!
	for i in $(seq 1 600); do
		grep -qs waiting w1.out && grep -qs waiting w2.out && break
		sleep 0.1
	done &&
	kf queue g --all >/dev/null &&
	for i in $(seq 1 1200); do
		[ "$(kf status g --json | jq ".done")" = 12 ] && break
		sleep 0.1
	done &&
	kill -TERM $w1 $w2 && wait $w1 && wait $w2 &&
	kf jobs g --state done --json >jobs.json &&
	test "$(jq ".jobs | length" jobs.json)" = 12 &&
	jq -e "[.jobs[].attempts] | all(. == 1)" jobs.json &&
	test "$(kf status g --json | jq .faces)" = $expected_faces &&
	grep -q "stopping" w1.out && grep -q "stopping" w2.out
'

test_expect_code 2 'a bad concurrency is a usage error' 'kf process g --concurrency 0'

test_done
