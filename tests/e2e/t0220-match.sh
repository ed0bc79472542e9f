#!/usr/bin/env bash
# match (step 1, with the cache), rematch, status / results / detail /
# recognition (step 2), and the bad inputs around them.
. "$(dirname "$0")/lib.sh"

demo_photos g
cp g/sample1.jpg g/broken.jpg && truncate -s 30000 g/broken.jpg
kf gallery import g >/dev/null
mkdir other && cp g/sample3.jpg other/ && kf gallery import other >/dev/null
for c in Ana Bia Caio; do kf client add g $c >/dev/null; done
kf enroll g Ana g/sample1.jpg --face 0 >/dev/null
kf enroll g Bia g/sample2.jpg --face 0 >/dev/null
M="--tiles off"

test_expect_success 'match: faces, matches with names, Rekognition boxes' '
	kf match g sample1.jpg $M --json >m1 &&
	jq -e ".success and .cached == false and .faceCount == 3" m1 &&
	jq -e "[.matches[] | select(.clientName == \"Ana\")] | length == 1" m1 &&
	jq -e ".matches[] | select(.clientName == \"Ana\") | .similarity > 95 and .faceIndex == 0" m1 &&
	jq -e "[.faces[] | .confidence > 50 and .boundingBox.Width > 0] | all" m1
'

test_expect_success 'match again: served from the cache' '
	kf match g sample1.jpg $M --json >m2 &&
	jq -e ".cached == true" m2 &&
	test "$(jq -c "del(.cached)" m1)" = "$(jq -c "del(.cached)" m2)" &&
	kf match g sample1.jpg $M --no-cache --json | jq -e ".cached == false"
'

test_expect_success 're-processing keeps the row counts' '
	kf status g --json >s1 && kf match g sample1.jpg $M --no-cache >/dev/null &&
	kf status g --json >s2 &&
	test "$(jq -c "del(.lastProcessedAt)" s1)" = "$(jq -c "del(.lastProcessedAt)" s2)" &&
	test "$(jq .faces s1)" = 3 && test "$(jq .done s1)" = 1
'

test_expect_success 'a changed file gets a new ETag and misses the cache' '
	cp g/sample1.jpg keep.jpg && cp g/sample5.jpg g/sample1.jpg &&
	n=$(kf detect g/sample5.jpg --json | jq ".images[0].faces | length") && test "$n" -ge 5 &&
	kf match g sample1.jpg $M --json >m3 && jq -e ".cached == false and .faceCount == $n" m3 &&
	test "$(kf photo list g --json | jq -r ".photos[] | select(.key == \"sample1.jpg\") | .etag")" = \
		"$(md5sum g/sample1.jpg | cut -d" " -f1)" &&
	cp keep.jpg g/sample1.jpg && kf match g sample1.jpg $M >/dev/null
'

test_expect_success 'process every photo; status totals equal the sum of the detail views' '
	for p in sample2.jpg sample3.jpg sample4.jpg sample5.jpg sample6.jpg; do
		kf match g $p $M >/dev/null || return 1
	done &&
	kf status g --json >st &&
	faces=0 && matches=0 &&
	for id in $(kf photo list g --json | jq ".photos[].id"); do
		kf detail g $id --json >d &&
		faces=$((faces + $(jq ".faces | length" d))) &&
		matches=$((matches + $(jq "[.faces[].matches[]] | length" d))) || return 1
	done &&
	test "$(jq .faces st)" = "$faces" && test "$(jq .matches st)" = "$matches" &&
	test "$(jq .done st)" = 6
'

test_expect_success 'detail: boxes, confidence, matches and the best other client' '
	kf detail g sample1.jpg --json >d &&
	cat d && 	jq -e ".status == \"done\" and .width == 1920 and (.faces | length) == 3" d &&
	jq -e ".faces[0].matches[0].clientName == \"Ana\"" d &&
	jq -e ".faces[0].bestBelow.clientName != \"Ana\" and .faces[0].bestBelow.similarity < 80" d
'

test_expect_success 'recognition lists every client, most photos first' '
	kf recognition g --json >r &&
	test "$(jq ".clients | length" r)" = 3 &&
	jq -e "[.clients[].photos] | . == (sort | reverse)" r &&
	jq -e ".clients[] | select(.name == \"Caio\") | .photos == 0" r
'

test_expect_success 'enroll another face, rematch: results change without decoding' '
	before=$(kf results g --client Caio --json | jq .total) && test "$before" = 0 &&
	kf enroll g Caio g/sample3.jpg --face 0 >/dev/null &&
	kf rematch g --json >rm && jq -e ".faces == $(jq .faces st)" rm &&
	kf results g --client Caio --json >res &&
	jq -e ".total >= 1 and .photos[0].key == \"sample3.jpg\" and .photos[0].similarity > 95" res &&
	kf recognition g --json | jq -e ".clients[] | select(.name == \"Caio\") | .photos >= 1"
'

test_expect_success 'enrolling dropped the cache: the next match is computed' '
	kf match g sample1.jpg $M --json | jq -e ".cached == false"
'

test_expect_success 'enroll from a face of a processed photo reuses its descriptor' '
	kf client add g Duda >/dev/null &&
	kf enroll g Duda --photo sample5.jpg --face 1 --json >e &&
	jq -e ".enrolled[0].faceIndex == 1 and .clientName == \"Duda\"" e &&
	kf client faces g Duda --json | jq -e ".faces[0].sourcePhotoId != null and .faces[0].sourceFaceIndex == 1" &&
	kf client faces g Duda | grep -E "^ +[0-9]+  score [0-9.]+  sample5.jpg, face 1$" &&
	kf rematch g >/dev/null &&
	kf results g --client Duda --json | jq -e ".photos[] | select(.key == \"sample5.jpg\") | .similarity > 99.9" &&
	! kf enroll g Duda --photo broken.jpg --face 0 2>err && test_grep err "process it first" &&
	test_expect_code_inline 2 kf enroll g Duda --photo sample5.jpg
'

test_expect_success 'a corrupt photo: the job fails with the reason, exit 1' '
	! kf match g broken.jpg $M 2>err && test_grep err "premature end" &&
	kf photo list g --status failed --json >f &&
	jq -e ".photos[0].key == \"broken.jpg\" and (.photos[0].error | test(\"premature end\"))" f
'

test_expect_success 'a missing photo file fails its job' '
	mv g/sample6.jpg away.jpg && ! kf match g sample6.jpg $M --no-cache 2>err &&
	test_grep err "sample6.jpg" && mv away.jpg g/sample6.jpg
'

test_expect_success 'bad inputs: other gallery, unknown client, bad threshold and page' '
	! kf match g sample9.jpg 2>err && test_grep err "no photo" &&
	oid=$(kf photo list other --json | jq ".photos[0].id") &&
	! kf detail g "$oid" 2>err && test_grep err "no photo" &&
	! kf results g --client Nobody 2>err && test_grep err "no client" &&
	test_expect_code_inline 2 kf match g sample1.jpg --threshold 101 &&
	test_expect_code_inline 2 kf results g --client Ana --page 0 &&
	test_expect_code_inline 2 kf results g --client Ana --limit 501 &&
	test_expect_code_inline 2 kf results g
'

test_done
