#!/usr/bin/env bash
# fixtures: rek
# --engine rekognition end to end against the fake Rekognition
# (tests/servers/rekfake.mjs, which checks every request's SigV4 signature):
# enrollment with one and with several faces, t0220's match scenario, the
# mixing refusal, the cost prompt, the calls in status, throttling, an invalid
# image, a wrong secret, switching engine, and removals.
#
# What is in a photo is told to the fake: each photo is registered with the
# boxes `kingface detect --json` finds and a label per face (a label is a
# person); the fake then recognises the crops kingface sends by their size.
. "$(dirname "$0")/lib.sh"

: "${KF_TEST_REK_ENDPOINT:?needs the rek fixture}"
REK=$KF_TEST_REK_ENDPOINT
export AWS_ACCESS_KEY_ID=$KF_TEST_S3_KEY_ID AWS_SECRET_ACCESS_KEY=$KF_TEST_S3_SECRET
export AWS_REGION=$KF_TEST_S3_REGION KINGFACE_REKOGNITION_ENDPOINT=$REK
export KINGFACE_REK_BACKOFF_MS=1
unset AWS_SESSION_TOKEN
M="--tiles off"

# rek_photo FILE LABEL...: tell the fake who is in FILE (faces in kingface's
# order; faces without a label get one of their own: nobody enrolled).
rek_photo() {
	local f=$1 labels
	shift
	labels=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	kf detect "$f" $M --json |
		jq -c --argjson l "$labels" --arg path "$(realpath "$f")" --arg tag "$(basename "$f")" \
			'{path: $path, faces: [.images[0].faces | to_entries[] |
			  {label: (if ($l[.key] // "") == "" then "\($tag)-\(.key)" else $l[.key] end),
			   BoundingBox: .value.boundingBox,
			   Confidence: ((.value.score * 1000000 | round) / 10000)}]}' |
		curl -sf -X POST --data-binary @- "$REK/_fake/photo" >/dev/null
}
# rek_fail ACTION TYPE COUNT: the next COUNT calls of ACTION answer TYPE.
rek_fail() {
	curl -sf -X POST -d "{\"action\":\"$1\",\"type\":\"$2\",\"count\":$3}" "$REK/_fake/fail"
}
rek_calls() { curl -sf "$REK/_fake/calls" | jq ".${1:-total} // 0"; }
rek_faces() { curl -sf "$REK/_fake/collection?id=kingface-$1" | jq ".Faces | length"; }
calls() { kf status "$1" --json | jq .rekognitionCalls; }

demo_photos g
cp g/sample1.jpg g/broken.jpg && truncate -s 30000 g/broken.jpg
rek_photo g/sample1.jpg ana bia
rek_photo g/sample2.jpg bia
rek_photo g/sample3.jpg caio
rek_photo g/sample4.jpg "" ana
rek_photo g/sample5.jpg
rek_photo g/sample6.jpg
kf gallery import g >/dev/null
kf settings set max-attempts 1 >/dev/null	# a photo's failure is final at once
for c in Ana Bia Caio; do kf client add g $c >/dev/null; done
gid=$(kf gallery show g --json | jq .id)

test_expect_success 'several faces and no --face: refused, nothing sent to Rekognition' '
	before=$(rek_calls) &&
	! kf enroll g Ana g/sample1.jpg --engine rekognition $M 2>err &&
	test_grep err "3 faces found" && test "$(rek_calls)" = "$before" &&
	test "$(kf client faces g Ana --json | jq ".faces | length")" = 0
'

test_expect_success 'enroll with --face N: only the crop is indexed, MaxFaces 1' '
	kf enroll g Ana g/sample1.jpg --face 0 --engine rekognition $M --json >e &&
	jq -e ".engine == \"rekognition\" and (.enrolled[0].faceId | length) == 36 and .rematch == null" e &&
	curl -sf "$REK/_fake/collection?id=kingface-$gid" >coll &&
	jq -e "[.Faces[] | [.label, .ExternalImageId]] == [[\"ana\", \"$(jq .clientId e)\"]]" coll &&
	kf client faces g Ana --json >f &&
	jq -e ".faces[0].model == \"aws-rekognition\" and .faces[0].engine == \"rekognition\"" f &&
	test "$(jq -r .faces[0].faceId f)" = "$(jq -r .enrolled[0].faceId e)" &&
	test "$(kf gallery engine g --json | jq -r .engine)" = rekognition
'

# (a photo with one face sent whole is in tests/unit/u-rek_engine.c: it needs a crop)
test_expect_success 'one face found here but more in the photo: the wrong face is not kept' '
	# --min-score hides two of sample1.jpg faces from the local detector; the
	# photo goes whole with MaxFaces 1 and Rekognition indexes its largest
	# face, not ours: that face is deleted and the crop indexed instead
	curl -sf "$REK/_fake/collection?id=kingface-$gid" | jq -e ".Faces | length == 1" &&
	del=$(rek_calls DeleteFaces) && idx=$(rek_calls IndexFaces) &&
	kf enroll g Ana g/sample1.jpg --min-score 0.92 $M --json >e &&
	jq -e ".enrolled[0].faceIndex == 0" e &&
	test "$(rek_calls IndexFaces)" = $((idx + 2)) && test "$(rek_calls DeleteFaces)" = $((del + 1)) &&
	curl -sf "$REK/_fake/collection?id=kingface-$gid" | jq -e "[.Faces[].label] == [\"ana\", \"ana\"]"
'

test_expect_success 'Bia from a group photo too (a client may have several references)' '
	kf enroll g Bia g/sample2.jpg --face 0 $M >/dev/null &&
	curl -sf "$REK/_fake/collection?id=kingface-$gid" | jq -e "[.Faces[] | select(.label == \"bia\")] | length >= 1"
'

test_expect_success 'match: three faces, two enrolled clients, Rekognition boxes as they come' '
	kf match g sample1.jpg $M --json >m1 &&
	jq -e ".success and .cached == false and .faceCount == 3 and .engine == \"rekognition\"" m1 &&
	jq -e "[.matches[] | select(.clientName == \"Ana\")] | length == 1" m1 &&
	jq -e ".matches[] | select(.clientName == \"Ana\") | .similarity == 99 and .faceIndex == 0" m1 &&
	jq -e ".matches[] | select(.clientName == \"Bia\") | .faceIndex == 1" m1 &&
	kf detect g/sample1.jpg $M --json >d &&
	jq -e --slurpfile d d "[.faces[].boundingBox] == [\$d[0].images[0].faces[].boundingBox]" m1 &&
	jq -e --slurpfile d d "[.faces[].confidence] == [\$d[0].images[0].faces[].score | . * 1000000 | round / 10000]" m1
'

test_expect_success 'match again: served from the cache, no call made' '
	before=$(rek_calls) &&
	kf match g sample1.jpg $M --json >m2 &&
	jq -e ".cached == true" m2 && test "$(rek_calls)" = "$before" &&
	test "$(jq -c "del(.cached)" m1)" = "$(jq -c "del(.cached)" m2)" &&
	kf match g sample1.jpg $M --no-cache --json | jq -e ".cached == false"
'

test_expect_success 'the calls made are counted per gallery and shown by status' '
	before=$(rek_calls) && c0=$(calls g) &&
	kf match g sample1.jpg $M --no-cache >/dev/null &&
	test "$(rek_calls)" = $((before + 4)) && test "$(calls g)" = $((c0 + 4)) &&
	kf status g >st && test_grep st "Rekognition call(s) made"
'

test_expect_success 're-processing keeps the row counts' '
	kf status g --json >s1 && kf match g sample1.jpg $M --no-cache >/dev/null &&
	kf status g --json >s2 &&
	test "$(jq -c "del(.lastProcessedAt, .rekognitionCalls)" s1)" = \
		"$(jq -c "del(.lastProcessedAt, .rekognitionCalls)" s2)" &&
	test "$(jq .faces s1)" = 3 && test "$(jq .done s1)" = 1
'

test_expect_success 'a changed file gets a new ETag and misses the cache' '
	cp g/sample1.jpg keep.jpg && cp g/sample5.jpg g/sample1.jpg &&
	n=$(kf detect g/sample5.jpg $M --json | jq ".images[0].faces | length") && test "$n" -ge 5 &&
	kf match g sample1.jpg $M --json >m3 && jq -e ".cached == false and .faceCount == $n" m3 &&
	cp keep.jpg g/sample1.jpg && kf match g sample1.jpg $M >/dev/null
'

test_expect_success 'the local engine is refused on this gallery, naming the switch' '
	! kf match g sample2.jpg --engine local $M 2>err &&
	test_grep err "holds results of the rekognition engine" &&
	test_grep err "kingface gallery engine g local" &&
	! kf process g --engine local --yes 2>err && test_grep err "kingface gallery engine g local"
'

test_expect_success 'process asks before paid calls; refused without a terminal or --yes' '
	test_expect_code_inline 2 kf process g </dev/null &&
	! kf process g </dev/null 2>err &&
	test_grep err "about to make at least 6 Rekognition calls (6 photos + 1 per face found)" &&
	test_grep err "--yes" &&
	kf photo list g --json | jq -e "[.photos[] | select(.status == \"done\")] | length == 1"
'

test_expect_success 'process every photo with --yes; status totals equal the detail views' '
	kf process g --yes $M >out 2>err && test_grep err "about to make at least" &&
	kf status g --json >st &&
	faces=0 && matches=0 &&
	for id in $(kf photo list g --json | jq ".photos[].id"); do
		kf detail g $id --json >d &&
		faces=$((faces + $(jq ".faces | length" d))) &&
		matches=$((matches + $(jq "[.faces[].matches[]] | length" d))) || return 1
	done &&
	test "$(jq .faces st)" = "$faces" && test "$(jq .matches st)" = "$matches" &&
	test "$(jq .done st)" = 6 && test "$(jq .dead st)" = 1 &&
	kf jobs g --state dead --json | jq -e ".jobs[0].key == \"broken.jpg\" and (.jobs[0].lastError | test(\"premature end\"))"
'

test_expect_success 'detail: boxes, confidence, matches; best-below needs the local engine' '
	kf detail g sample1.jpg --json >d &&
	jq -e ".status == \"done\" and .engine == \"rekognition\" and .width == 1920 and (.faces | length) == 3" d &&
	jq -e ".faces[0].matches[0].clientName == \"Ana\" and .faces[0].matches[0].similarity == 99" d &&
	jq -e ".faces[0].bestBelow == null and .faces[0].bestBelowNote == \"needs the local engine\"" d
'

test_expect_success 'results and recognition: Ana in two photos, Caio in none yet' '
	kf results g --client Ana --json >r &&
	jq -e ".total == 2 and ([.photos[].key] | sort) == [\"sample1.jpg\", \"sample4.jpg\"]" r &&
	kf recognition g --json >r &&
	jq -e "[.clients[].photos] | . == (sort | reverse)" r &&
	jq -e ".clients[] | select(.name == \"Caio\") | .photos == 0" r
'

test_expect_success 'enroll another face: rematch needs the local engine, processing again finds it' '
	kf enroll g Caio g/sample3.jpg --face 0 $M >/dev/null &&
	! kf rematch g 2>err && test_grep err "needs the local engine" &&
	kf match g sample1.jpg $M --json | jq -e ".cached == false" &&
	kf process g --all --no-cache --yes $M >/dev/null 2>&1 &&
	kf results g --client Caio --json >res &&
	jq -e ".total == 1 and .photos[0].key == \"sample3.jpg\" and .photos[0].similarity == 99" res
'

test_expect_success 'enroll from a face of a processed photo: its crop is indexed' '
	kf client add g Duda >/dev/null &&
	kf enroll g Duda --photo sample5.jpg --face 1 --json >e &&
	jq -e ".enrolled[0].faceIndex == 1 and .clientName == \"Duda\" and .engine == \"rekognition\"" e &&
	curl -sf "$REK/_fake/collection?id=kingface-$gid" |
		jq -e "[.Faces[] | select(.label == \"sample5.jpg-1\")] | length == 1" &&
	kf match g sample5.jpg $M --no-cache --json >m &&
	jq -e "[.matches[] | [.faceIndex, .clientName]] == [[1, \"Duda\"]]" m &&
	! kf enroll g Duda --photo broken.jpg --face 0 2>err && test_grep err "no stored face"
'

test_expect_success 'throttling, then success: retried with backoff, retries counted' '
	before=$(rek_calls DetectFaces) && c0=$(calls g) &&
	rek_fail DetectFaces ThrottlingException 2 &&
	kf match g sample2.jpg $M --no-cache --json | jq -e ".faceCount == 3" &&
	test "$(rek_calls DetectFaces)" = $((before + 3)) && test "$(calls g)" = $((c0 + 6))
'

test_expect_success 'an invalid image: the photo fails with the reason on its job' '
	rek_fail DetectFaces InvalidImageFormatException 1 &&
	! kf match g sample3.jpg $M --no-cache 2>err &&
	test_grep err "InvalidImageFormatException: Request has invalid image format" &&
	kf jobs g --state dead --json >j &&
	jq -e ".jobs[] | select(.key == \"sample3.jpg\") | .lastError | test(\"InvalidImageFormatException\")" j &&
	kf match g sample3.jpg $M --no-cache >/dev/null
'

test_expect_success 'no face in a crop (InvalidParameterException) fails that photo' '
	rek_fail SearchFacesByImage InvalidParameterException 1 &&
	! kf match g sample3.jpg $M --no-cache 2>err && test_grep err "face 1" &&
	test_grep err "InvalidParameterException" &&
	kf photo list g --status dead --json | jq -e ".photos[] | select(.key == \"sample3.jpg\") | .error | test(\"InvalidParameterException\")"
'

test_expect_success 'a wrong secret: one clear error naming the variable, no photo failed' '
	kf match g sample3.jpg $M --no-cache >/dev/null &&
	! AWS_SECRET_ACCESS_KEY=wrong-secret-0xKF kf match g sample2.jpg $M --no-cache 2>err &&
	test_grep err AWS_SECRET_ACCESS_KEY && ! grep -q wrong-secret-0xKF err &&
	kf photo list g --json | jq -e "[.photos[] | select(.status == \"failed\")] | length == 0" &&
	! AWS_SECRET_ACCESS_KEY=wrong-secret-0xKF kf process g --all --no-cache --yes $M >out 2>err &&
	test_grep err AWS_SECRET_ACCESS_KEY && ! grep -q wrong-secret-0xKF err out &&
	test "$(grep -c AWS_SECRET_ACCESS_KEY err)" = 1 &&
	kf status g --json | jq -e ".failed == 0" &&
	kf process g --yes $M >/dev/null 2>&1 && kf status g --json | jq -e ".done == 6"
'

test_expect_success 'identify --engine rekognition: who is in an outside image' '
	kf identify g g/sample4.jpg $M --json >i &&
	jq -e "[.images[0].faces[].matches[].clientName] == [\"Ana\"]" i &&
	jq -e ".images[0].faces | length == 4" i
'

# worker_until_done LOG ARGS...: run a worker until the gallery has nothing queued
worker_until_done() {
	local log=$1 pid
	shift
	kf_bg "$log" worker "$@" && pid=$! &&
	for i in $(seq 1 150); do
		kf status g --json | jq -e ".pending == 0 and .running == 0" >/dev/null && break
		sleep 0.2
	done &&
	kill $pid && { wait $pid || true; }
}

test_expect_success 'worker: runs the gallery'"'"'s engine; another engine is refused' '
	! kf worker --gallery g --engine local 2>err && test_grep err "kingface gallery engine g local" &&
	kf queue g --all >/dev/null &&
	worker_until_done wlog --gallery g --concurrency 2 &&
	kf status g --json | jq -e ".done == 6" && test_grep wlog "rekognition worker"
'

test_expect_success 'a worker for every gallery runs each gallery'"'"'s own engine' '
	kf queue g --all >/dev/null &&
	worker_until_done wlog2 --concurrency 2 &&
	kf status g --json | jq -e ".done == 6" && test_grep wlog2 "local worker" &&
	! grep -q "holds results" wlog2
'

# the console, in tmux as t0400-console.sh drives it
. "$(dirname "$0")/lib-tmux.sh"

test_expect_success 'the console asks before processing a Rekognition gallery, then does' '
	kf queue g --all >/dev/null &&
	tm new-session -d -s rk -x 110 -y 30 -c "$TRASH" \
		"TERM=xterm LANG=C.UTF-8 WORKER_CONCURRENCY=2 $KINGFACE 2>rk.err; echo \$? >rk.exit; sleep 600" &&
	wait_for rk "Galleries (1)" && tm send-keys -t rk p &&
	wait_for rk "about to make at least 6 Rekognition calls" && tm send-keys -t rk y &&
	wait_for rk "Processed 6/6" 120 &&
	tm send-keys -t rk q && for i in $(seq 1 100); do [ -f rk.exit ] && break; sleep 0.1; done &&
	test "$(cat rk.exit)" = 0 && ! grep -i sanitizer rk.err &&
	kf status g --json | jq -e ".done == 6"
'

test_expect_success 'unenroll: the face is deleted from the collection first' '
	n=$(rek_faces $gid) &&
	ref=$(kf client faces g Caio --json | jq ".faces[0].id") &&
	kf client unenroll g Caio $ref >/dev/null &&
	test "$(rek_faces $gid)" = $((n - 1))
'

test_expect_success 'offline: removing a client is refused unless --force' '
	n=$(rek_faces $gid) &&
	! KINGFACE_REKOGNITION_ENDPOINT=http://127.0.0.1:1 KINGFACE_REK_MAX_ATTEMPTS=1 \
		kf client remove g Bia --yes 2>err &&
	test_grep err "not removed" && test_grep err "--force" &&
	kf client list g --json | jq -e "[.clients[].name] | index(\"Bia\")" &&
	kf client remove g Bia --yes >/dev/null && test "$(rek_faces $gid)" -lt "$n"
'

test_expect_success 'switching the engine drops the results and re-queues every photo' '
	! kf gallery engine g local </dev/null 2>err && test_grep err "--yes" &&
	kf gallery engine g local --yes --json >sw 2>err &&
	test_grep err "7 photo(s) will be processed again" &&
	jq -e ".engine == \"local\" and .requeued == 7" sw &&
	kf status g --json | jq -e ".faces == 0 and .done == 0 and .pending == 7" &&
	kf match g sample1.jpg $M --json | jq -e ".engine == \"local\" and .faceCount == 3" &&
	kf gallery engine g rekognition --yes >/dev/null 2>&1
'

test_expect_success 'removing the gallery deletes its collection' '
	test "$(rek_faces $gid)" -ge 1 &&
	kf gallery remove g --yes >/dev/null &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$REK/_fake/collection?id=kingface-$gid")" = 404
'

test_done
