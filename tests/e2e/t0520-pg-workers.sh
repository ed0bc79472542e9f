#!/usr/bin/env bash
# fixtures: pg
# queue --pg / worker --pg: workers on several machines sharing a platform
# gallery through PostgreSQL. Three worker processes on 200 photos: each photo
# done once, attempt 1, the same faces and matches as a single worker; a
# worker killed with -9 mid-run: its jobs come back after the lease and
# another worker finishes them; a corrupt photo and a photo nobody has end
# dead with their reasons; the cache; connections killed by the server; a
# clean stop on SIGTERM mid-run.
. "$(dirname "$0")/lib.sh"

U=$(pg_test_db pgw demo) || exit 1
R=$(pg_test_db pgw_ref demo) || exit 1
MODEL=face-api-1.7.15/face_recognition_model
# the tiny detector without tiles: 200 photos stay quick under ASan on 2 cores
W="--pg $U --photos photos --concurrency 1 --detector tiny --tiles off"

# gallery 1 of U: 200 photos, p001..p200 = sample1..6 in turn; R keeps
# demo.sql's six sampleN.jpg for the single-worker reference run
pg_q "$U" "DELETE FROM king_photos; INSERT INTO king_photos (gallery_id, file_path, file_name)
	SELECT 1, 'galleries/1/p' || lpad(n::text, 3, '0') || '.jpg', 'p' || lpad(n::text, 3, '0') || '.jpg'
	FROM generate_series(1, 200) AS n" >/dev/null
mkdir -p photos/galleries/1 photos/galleries/2
cp "$KF_TEST_DEMO"/sample*.jpg photos/galleries/1/
for i in $(seq 1 200); do
	cp "$KF_TEST_DEMO/sample$(( (i - 1) % 6 + 1 )).jpg" "photos/galleries/1/p$(printf %03d $i).jpg"
done

# references: Ana and Bruno are the first two faces of sample1, Carla the
# first of sample4 (descriptors from detect, 128 float32 little-endian)
desc_hex() {
	jq -r ".images[$1].faces[$2].descriptor | map(tostring) | join(\" \")" refs.json |
		xargs perl -e 'print unpack("H*", pack("f<*", @ARGV))' --
}
enroll_refs() {
	pg_q "$1" "INSERT INTO rekognition_client_faces (uid, gallery_id, client_id, model, descriptor)
		VALUES ('ana-1', 1, 1, '$MODEL', '\\x$A'::bytea), ('bruno-1', 1, 2, '$MODEL', '\\x$B'::bytea),
		       ('carla-1', 1, 3, '$MODEL', '\\x$C'::bytea)" >/dev/null
}

test_expect_success 'queue --pg puts the gallery photos in rekognition_photo_jobs' '
	kf queue 1 --pg "$U" --json >q.json &&
	jq -e ".galleryId == 1 and .queued == 200" q.json &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs j JOIN king_photos k
		ON k.id = j.photo_id WHERE j.process_status = '\''pending'\'' AND j.r2_key = k.file_path")" = 200 &&
	kf queue 1 --pg "$U" >q.txt && test_grep q.txt "200 photo(s) queued" &&
	kf queue 1 --pg "$R" >/dev/null &&
	kf detect --descriptors --json --tiles off "$KF_TEST_DEMO/sample1.jpg" \
		"$KF_TEST_DEMO/sample4.jpg" >refs.json &&
	A=$(desc_hex 0 0) && B=$(desc_hex 0 1) && C=$(desc_hex 1 0) &&
	test ${#A} = 1024 && enroll_refs "$U" && enroll_refs "$R"
'

test_expect_code 2 'with --pg, GALLERY is a platform gallery id' 'kf queue demo --pg "$U"'
test_expect_code 1 'an unknown platform gallery is an error' 'kf queue 42 --pg "$U"'
test_expect_code 2 '--photos needs --pg' 'kf worker --photos photos --exit-when-empty'

test_expect_success 'a single worker on the six samples (the reference)' '
	kf worker --pg "$R" --photos photos --concurrency 1 --detector tiny --tiles off \
		--exit-when-empty >ref.out 2>ref.err &&
	test "$(grep -c "^done " ref.out)" = 6 &&
	pg_q "$R" "SELECT k.file_name, (SELECT count(*) FROM rekognition_photo_faces f WHERE
		f.photo_id = k.id), (SELECT count(*) FROM rekognition_face_matches m JOIN
		rekognition_photo_faces f ON f.id = m.photo_face_id WHERE f.photo_id = k.id)
		FROM king_photos k ORDER BY k.file_name" >ref.counts && cat ref.counts &&
	test "$(awk -F"|" "{ m += \$3 } END { print m }" ref.counts)" -ge 3
'

test_expect_success 'three worker processes share 200 photos: each done once, attempt 1' '
	kf_bg w1.out worker $W --exit-when-empty --gallery 1 && p1=$! &&
	kf_bg w2.out worker $W --exit-when-empty && p2=$! &&
	kf_bg w3.out worker $W --exit-when-empty --gallery 1 && p3=$! &&
	wait $p1 && wait $p2 && wait $p3 &&
	tail -n 1 w1.out w2.out w3.out &&
	for f in w1.out w2.out w3.out; do
		test "$(grep -c "^done " $f)" -ge 1 || return 1
	done &&
	grep -h "^done " w1.out w2.out w3.out | cut -d" " -f3 | tr -d : | sort >listed &&
	test "$(wc -l <listed)" = 200 && test "$(sort -u listed | wc -l)" = 200 &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE gallery_id = 1 AND
		process_status = '\''done'\'' AND attempts = 1 AND lease_owner IS NULL AND
		r2_etag ~ '\''^[0-9a-f]{32}$'\'' AND processed_at IS NOT NULL")" = 200 &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_processing_cache
		WHERE gallery_id = 1 AND expires_at > now()")" = 200
'

test_expect_success 'no local database was needed nor created' '
	test ! -e "$KINGFACE_DB" && test ! -e "$XDG_DATA_HOME/kingface"
'

test_expect_success 'faces and matches are what a single worker finds' '
	for i in $(seq 1 200); do
		s=$(( (i - 1) % 6 + 1 )) &&
		printf "p%03d.jpg|%s\n" $i "$(grep "^sample$s.jpg|" ref.counts | cut -d"|" -f2-)"
	done >expect &&
	pg_q "$U" "SELECT k.file_name, (SELECT count(*) FROM rekognition_photo_faces f WHERE
		f.photo_id = k.id), (SELECT count(*) FROM rekognition_face_matches m JOIN
		rekognition_photo_faces f ON f.id = m.photo_face_id WHERE f.photo_id = k.id)
		FROM king_photos k WHERE k.gallery_id = 1 ORDER BY k.file_name" >actual &&
	test_cmp expect actual &&
	pg_q "$U" "SELECT count(*) FROM rekognition_photo_faces WHERE confidence BETWEEN 0 AND 100
		AND (bounding_box_json->>'\''Width'\'')::float BETWEEN 0 AND 1
		AND bounding_box_json ? '\''Top'\'' AND length(descriptor) = 512" >n &&
	test "$(cat n)" = "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_faces")"
'

# gallery 2: 18 photos, a corrupt one and one that is in no folder
pg_q "$U" "INSERT INTO king_galleries (id, owner_id, name) VALUES (2, 1, 'Second');
	INSERT INTO king_photos (gallery_id, file_path, file_name)
	SELECT 2, 'galleries/2/q' || lpad(n::text, 3, '0') || '.jpg', 'q' || n || '.jpg'
	FROM generate_series(1, 18) AS n;
	INSERT INTO king_photos (gallery_id, file_path, file_name) VALUES
	(2, 'galleries/2/zz-broken.jpg', 'zz-broken.jpg'), (2, 'galleries/2/zz-elsewhere.jpg', 'x.jpg')" >/dev/null
for i in $(seq 1 18); do
	cp "$KF_TEST_DEMO/sample$(( (i - 1) % 6 + 1 )).jpg" "photos/galleries/2/q$(printf %03d $i).jpg"
done
head -c 20000 "$KF_TEST_DEMO/sample2.jpg" >photos/galleries/2/zz-broken.jpg

test_expect_success 'kill -9 a worker mid-run: its job comes back after the lease' '
	kf settings set max-attempts 2 >/dev/null &&
	test "$(kf queue 2 --pg "$U" --json | jq .queued)" = 20 &&
	export KINGFACE_LEASE_MS=1500 &&
	kf_bg victim.out worker $W --gallery 2 && victim=$! &&
	for i in $(seq 1 600); do
		[ "$(grep -c "^done " victim.out)" -ge 2 ] && break
		sleep 0.1
	done &&
	# frozen while it holds a job (not between two), then killed
	for i in $(seq 1 100); do
		kill -STOP $victim &&
		[ "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE
			process_status = '\''running'\'' AND lease_owner LIKE '\''%:$victim:%'\''")" = 1 ] && break
		kill -CONT $victim && sleep 0.05
	done &&
	kill -9 $victim && { wait $victim; true; } &&
	pg_q "$U" "SELECT id FROM rekognition_photo_jobs WHERE process_status = '\''running'\''
		AND lease_owner LIKE '\''%:$victim:%'\''" >killed && cat killed &&
	test "$(wc -l <killed)" = 1 &&
	kf_bg b.out worker $W --gallery 2 --exit-when-empty && pb=$! &&
	{ "$KINGFACE" worker $W --gallery 2 --exit-when-empty --json >c.out 2>c.err & } &&
	pc=$! && echo $pc >>"$TRASH/.pids" &&
	wait $pb && wait $pc &&
	job=$(cat killed) &&
	pg_q "$U" "SELECT process_status || '\'' '\'' || attempts FROM rekognition_photo_jobs
		WHERE id = $job" >state && cat state && test "$(cat state)" = "done 2" &&
	photo=$(pg_q "$U" "SELECT photo_id FROM rekognition_photo_jobs WHERE id = $job") &&
	{ grep -q "^done $photo " b.out ||
	  jq -s -e "any(.[]; .event == \"done\" and .photoId == $photo)" c.out >/dev/null; } &&
	! grep -q "^done $photo " victim.out && cat b.out c.err &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE gallery_id = 2 AND
		process_status = '\''done'\''")" = 18
'

test_expect_success 'the corrupt photo and the missing one end dead with their reasons' '
	pg_q "$U" "SELECT r2_key || '\''|'\'' || attempts || '\''|'\'' || last_error FROM
		rekognition_photo_jobs WHERE process_status = '\''dead'\'' ORDER BY r2_key" >dead &&
	cat dead && test "$(wc -l <dead)" = 2 &&
	grep "^galleries/2/zz-broken.jpg|2|" dead &&
	grep "^galleries/2/zz-elsewhere.jpg|2|AWS_ENDPOINT_URL is not set" dead &&
	{ grep -q "^dead [0-9]* galleries/2/zz-broken.jpg: .* (attempt 2, no retry)$" b.out ||
	  jq -s -e "any(.[]; .event == \"dead\" and .key == \"galleries/2/zz-broken.jpg\")" c.out; } &&
	{ grep -q "^failed [0-9]* galleries/2/zz-elsewhere.jpg: AWS_ENDPOINT_URL is not set" b.out ||
	  jq -s -e "any(.[]; .event == \"failed\" and .key == \"galleries/2/zz-elsewhere.jpg\")" c.out; } &&
	kf jobs 2 --pg "$U" --state dead --json >dead.json &&
	jq -e ".jobs | length == 2 and .[0].key == \"galleries/2/zz-broken.jpg\" and
		.[0].attempts == 2 and (.[0].lastError | test(\"premature end\"))" dead.json &&
	kf jobs 2 --pg "$U" >jobs.txt && test_grep jobs.txt "20 job(s)"
'

test_expect_success 'requeue --pg: the dead jobs back to pending, attempts 0' '
	kf requeue 2 --pg "$U" --json | jq -e ".requeued == 2" &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE gallery_id = 2 AND
		process_status = '\''pending'\'' AND attempts = 0")" = 2 &&
	kf requeue 2 --pg "$U" --json | jq -e ".requeued == 0" &&
	pg_q "$U" "UPDATE rekognition_photo_jobs SET process_status = '\''dead'\'', attempts = 2
		WHERE gallery_id = 2 AND process_status = '\''pending'\''" >/dev/null
'

test_expect_success 'the JSON output is one object per photo line' '
	jq -e -s "length >= 1 and all(.[]; .event and .photoId and .key)" c.out >/dev/null &&
	jq -e -s "[.[] | select(.event == \"done\")] | all(.[]; .faces >= 1 and (.etag | length) == 32)" c.out
'

test_expect_success 'queue --all: done jobs again, answered from the cache' '
	unset KINGFACE_LEASE_MS &&
	test "$(kf queue 2 --pg "$U" --all --json | jq .queued)" = 18 &&
	kf worker $W --gallery 2 --exit-when-empty >all.out 2>all.err &&
	test "$(grep -c "^done .*(from the cache)$" all.out)" = 18 &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE gallery_id = 2
		AND process_status = '\''done'\'' AND attempts = 1")" = 18
'

test_expect_success 'connections killed mid-run: the worker reconnects, nothing is lost' '
	export KINGFACE_LEASE_MS=1500 &&
	test "$(kf queue 2 --pg "$U" --all --json | jq .queued)" = 18 &&
	{ "$KINGFACE" worker $W --gallery 2 --exit-when-empty --no-cache >net.out 2>net.err & } &&
	pid=$! && echo $pid >>"$TRASH/.pids" &&
	for i in $(seq 1 600); do
		[ "$(grep -c "^done " net.out)" -ge 3 ] && break
		sleep 0.1
	done &&
	pg_q "$U" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE
		application_name = '\''kingface'\'' AND pid <> pg_backend_pid()" &&
	wait $pid && cat net.err &&
	test_grep net.err "reconnecting" &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE gallery_id = 2
		AND process_status = '\''done'\''")" = 18 &&
	test "$(grep "^done " net.out | cut -d" " -f2 | sort -u | wc -l)" = 18
'

test_expect_success 'SIGTERM mid-run: the photo in flight finishes, the rest stays queued' '
	test "$(kf queue 2 --pg "$U" --all --json | jq .queued)" = 18 &&
	kf_bg term.out worker $W --gallery 2 --no-cache && pid=$! &&
	for i in $(seq 1 600); do
		[ "$(grep -c "^done " term.out)" -ge 1 ] && break
		sleep 0.1
	done &&
	kill -TERM $pid && wait $pid && cat term.out &&
	test_grep term.out "stopping" &&
	n=$(grep -c "^done " term.out) &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE gallery_id = 2
		AND process_status = '\''running'\''")" = 0 &&
	test "$(pg_q "$U" "SELECT count(*) FROM rekognition_photo_jobs WHERE gallery_id = 2
		AND process_status = '\''pending'\''")" = $((18 - n))
'

test_done
