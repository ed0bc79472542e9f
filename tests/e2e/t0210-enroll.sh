#!/usr/bin/env bash
# enroll, client faces / unenroll, identify, settings.
. "$(dirname "$0")/lib.sh"

demo_photos photos
mkdir g && kf gallery import g >/dev/null && kf client add g Ana >/dev/null && kf client add g Bia >/dev/null
echo "text" >photos/notes.jpg

test_expect_success 'several faces and no --face: refused with the list of faces' '
	! kf enroll g Ana photos/sample1.jpg --tiles off 2>err &&
	test_grep err "3 faces found" && test_grep err "--face 0" && test_grep err "--face 2" &&
	test "$(kf client faces g Ana --json | jq ".faces | length")" = 0
'

test_expect_success 'enroll one face with --face N' '
	kf enroll g Ana photos/sample1.jpg --face 1 --tiles off --json >out &&
	test "$(jq .enrolled[0].faceIndex out)" = 1 && test "$(jq .references out)" = 1 &&
	jq -e ".failed == [] and .rematch == {faces: 0, matches: 0, threshold: 80}" out &&
	kf client faces g Ana --json >faces &&
	test "$(jq ".faces | length" faces)" = 1 &&
	test "$(jq -r ".faces[0].sourceSha256" faces)" = "$(sha256sum photos/sample1.jpg | cut -d" " -f1)" &&
	test "$(jq -r ".faces[0].model" faces)" = "face-api-1.7.15/face_recognition_model" &&
	kf client faces g Ana | grep -E "^ +[0-9]+  score [0-9.]+  /.*/photos/sample1.jpg$"
'

test_expect_success 'a second reference for the same client' '
	kf enroll g Ana photos/sample1.jpg --face 1 --tiles off >out && test_grep out "2 in all"
'

test_expect_success 'no face, not an image, bad --face: clear errors, nothing stored' '
	! kf enroll g Bia photos/notes.jpg 2>err && test_grep err "not a JPEG or PNG file" &&
	! kf enroll g Bia photos/sample1.jpg --face 7 --tiles off 2>err && test_grep err "has 3 faces" &&
	! kf enroll g Nobody photos/sample1.jpg --face 0 2>err && test_grep err "no client" &&
	test "$(kf client faces g Bia --json | jq ".faces | length")" = 0 &&
	kf client faces g Bia >out && test_grep out "kingface enroll g '\''Bia'\'' PHOTO.jpg"
'

test_expect_success 'identify: the enrolled face matches, the others give the best below' '
	kf identify g photos/sample1.jpg --tiles off --json >out &&
	test "$(jq ".images[0].faces | length" out)" = 3 &&
	test "$(jq "[.images[0].faces[].matches[]] | length" out)" = 1 &&
	jq -e ".images[0].faces[] | select(.matches | length == 1) | .matches[0] | .clientName == \"Ana\" and .similarity > 95" out &&
	jq -e "[.images[0].faces[] | select(.matches | length == 0) | .bestBelow.clientName] | all(. == \"Ana\")" out &&
	kf identify g photos/sample1.jpg --tiles off >out && test_grep out "Ana"
'

test_expect_success 'identify with a higher threshold, and a bad threshold' '
	kf identify g photos/sample1.jpg --tiles off --threshold 99.99 --json >out &&
	jq -e "[.images[0].faces[].matches[].similarity] | all(. >= 99.99)" out &&
	test "$(jq "[.images[0].faces[] | select(.matches | length == 0)] | length" out)" = 2 &&
	! kf identify g photos/sample1.jpg --tiles off --threshold 101 2>err && test_grep err "--threshold"
'

test_expect_success 'settings: defaults, set, and the threshold setting is used' '
	test "$(kf settings get threshold)" = auto &&
	kf settings get --json | jq -e ".threshold == \"auto\" and .\"max-faces\" == 100" &&
	kf identify g photos/sample1.jpg --json | jq -e ".threshold >= 80 and .threshold <= 99" &&
	kf status g | grep -E "threshold [0-9.]+ \(auto, [0-9]+ clients?: " &&
	! kf settings set threshold 120 2>err && test_grep err "from 0 to 100 or auto" &&
	! kf settings set threshold automatic 2>err && test_grep err "or auto" &&
	! kf settings set colour blue 2>err && test_grep err "the settings: threshold, max-faces" &&
	kf settings set threshold 99.9 && test "$(kf settings get threshold)" = 99.9 &&
	kf identify g photos/sample1.jpg --tiles off --json | jq -e ".threshold == 99.9" &&
	kf status g --json | jq -e ".threshold.mode == \"set\" and .threshold.value == 99.9" &&
	kf settings set threshold auto && test "$(kf settings get threshold)" = auto
'

test_expect_success 'unenroll one reference' '
	ref=$(kf client faces g Ana --json | jq ".faces[0].id") &&
	kf client unenroll g Ana "$ref" >out && test_grep out "removed reference face" &&
	test "$(kf client faces g Ana --json | jq ".faces | length")" = 1 &&
	! kf client unenroll g Ana "$ref" 2>err && test_grep err "no reference face"
'

test_expect_success 'several images at once: the good ones enrolled, the others said' '
	D="$KF_TEST_DATA/datasets/dev/identities" && cp "$D/amy/amy1.png" "$D/amy/amy2.png" . &&
	! kf enroll g Bia amy1.png photos/sample1.jpg photos/notes.jpg amy2.png --json >out 2>err &&
	jq -e "[.enrolled[].image] == [\"amy1.png\", \"amy2.png\"] and .references == 2" out &&
	jq -e "[.failed[].image] == [\"photos/sample1.jpg\", \"photos/notes.jpg\"]" out &&
	jq -e ".failed[0].error | test(\"3 faces found.*enrolling it alone\")" out &&
	test_grep err "2 of 4 images enrolled for '"'Bia'"'" &&
	! kf enroll g Bia a.jpg b.jpg --face 0 2>err && test_grep err "face of one IMAGE"
'

test_expect_success 'the gallery is matched again after enroll, unenroll and client remove' '
	kf gallery import photos --name p >/dev/null && kf process p >/dev/null 2>&1 &&
	kf client add p Ana >/dev/null && kf client add p Bia >/dev/null &&
	test "$(kf status p --json | jq .matches)" = 0 &&
	kf enroll p Ana photos/sample1.jpg --face 1 >out &&
	grep -E "^re-matched the gallery.s [0-9]+ stored faces: [1-9][0-9]* matches" out &&
	kf results p --client Ana --json | jq -e "[.photos[].key] | index(\"sample1.jpg\") != null" &&
	kf enroll p Bia --photo sample2.jpg --face 0 --json >out &&
	jq -e ".rematch.matches >= 1" out &&
	ref=$(kf client faces p Ana --json | jq ".faces[0].id") &&
	kf client unenroll p Ana "$ref" --json >out && jq -e ".rematch.faces > 0" out &&
	test "$(kf results p --client Ana --json | jq .total)" = 0 &&
	kf results p --client Bia --json | jq -e "[.photos[].key] | index(\"sample2.jpg\") != null" &&
	kf client remove p Bia --yes >out && grep -E "^re-matched the gallery.s [0-9]+ stored faces: 0 matches" out &&
	test "$(kf status p --json | jq .matches)" = 0
'

test_done
