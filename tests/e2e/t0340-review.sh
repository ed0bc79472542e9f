#!/usr/bin/env bash
# face confirm / reject / clear: a review is kept through rematch, process
# --all --no-cache and a threshold change; a rejected client never comes back
# and the face may take its next-best; a client is confirmed once a photo;
# detail, results and the export's manifest show the review.
. "$(dirname "$0")/lib.sh"

demo_photos photos
kf gallery import photos --name g >/dev/null
while read -r name photo face; do
	kf client add g "$name" >/dev/null && kf enroll g "$name" "photos/$photo" --face "$face" >/dev/null
done <<'CLIENTS'
Ana sample1.jpg 0
Bruno sample1.jpg 1
Carla sample1.jpg 2
Davi sample5.jpg 0
CLIENTS
kf process g >/dev/null

# the clients matched on face F of photo P, one a line
on() { kf detail g "$1" --json | jq -r ".faces[] | select(.faceIndex == $2) | .matches[].clientName"; }
# every way the gallery is matched again: rematch, a new threshold, processing without cache
again() {
	kf rematch g >/dev/null && kf rematch g --threshold 80 >/dev/null &&
	kf settings set threshold 90 >/dev/null && kf rematch g >/dev/null &&
	kf settings set threshold auto >/dev/null && kf process g --all --no-cache >/dev/null
}

test_expect_success 'confirm: a face the engine did not give to a client' '
	test -z "$(on sample2.jpg 1)" &&
	kf face confirm g sample2.jpg 1 Bruno >out && test_grep out "confirmed Bruno" &&
	test "$(on sample2.jpg 1)" = Bruno &&
	kf detail g sample2.jpg --json |
		jq -e ".faces[1].matches[0].review == \"confirmed\"" &&
	kf results g --client Bruno --json |
		jq -e "[.photos[] | select(.key == \"sample2.jpg\")][0].review == \"confirmed\""
'

test_expect_success 'reject: the match goes' '
	test "$(on sample1.jpg 0)" = Ana &&
	kf face reject g sample1.jpg 0 Ana --json | jq -e ".review == \"rejected\" and (.matches | length) == 0" &&
	test -z "$(on sample1.jpg 0)" &&
	kf detail g sample1.jpg --json | jq -e ".faces[0].rejected[0].clientName == \"Ana\"" &&
	kf detail g sample1.jpg | grep "face 0 " >out && test_grep out "(not: Ana)" &&
	! grep -q "best other: Ana" out
'

test_expect_success 'both stay through rematch, a threshold change and processing without cache' '
	again &&
	test "$(on sample2.jpg 1)" = Bruno && test -z "$(on sample1.jpg 0)" &&
	kf recognition g --json | jq -e "[.clients[] | select(.name == \"Bruno\")][0].photos == 2" &&
	kf results g --client Bruno --json | jq -e "[.photos[].key] | index(\"sample2.jpg\") != null"
'

test_expect_success 'a client is confirmed on one face of a photo only' '
	kf face confirm g sample2.jpg 2 Bruno >/dev/null &&
	test "$(on sample2.jpg 2)" = Bruno && test -z "$(on sample2.jpg 1)" &&
	kf detail g sample2.jpg --json | jq -e "[.faces[].matches[] | select(.clientName == \"Bruno\")] | length == 1"
'

test_expect_success 'export: the manifest says which photos a person confirmed' '
	kf export g --to delivered >/dev/null &&
	grep -q "^Bruno,sample2.jpg,2,[0-9.]*,confirmed$" delivered/manifest.csv &&
	grep -q "^Bruno,sample1.jpg,1,[0-9.]*,$" delivered/manifest.csv
'

test_expect_success 'clear: the engine decides again' '
	kf face clear g sample1.jpg 0 >out && test_grep out "1 review forgotten" &&
	test "$(on sample1.jpg 0)" = Ana &&
	kf face clear g sample2.jpg 2 >/dev/null && test -z "$(on sample2.jpg 2)" &&
	again && test "$(on sample1.jpg 0)" = Ana && test -z "$(on sample2.jpg 2)"
'

test_expect_success 'clear errors: no such face, photo, client; a bad index' '
	! kf face confirm g sample2.jpg 7 Bruno 2>err && test_grep err "has no face 7" &&
	! kf face confirm g nope.jpg 0 Bruno 2>err && test_grep err "no photo" &&
	! kf face reject g sample2.jpg 0 Zed 2>err && test_grep err "no client" &&
	! kf face confirm g sample2.jpg x Bruno 2>err && test_grep err "FACE is a face index"
'

test_done
