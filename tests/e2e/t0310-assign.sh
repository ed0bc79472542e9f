#!/usr/bin/env bash
# One client per photo (core/assign.h): the demo gallery (scripts/demo's four
# clients from sample1 and sample5) processed, matched, re-matched and
# identified; then the group photos of the dev set and the samples with the 8
# dev clients enrolled from their photo #1. Nowhere a client on two faces of
# one photo, nowhere a face with two matches, and every face says "ambiguous".
# Structure only: no similarity figure is asserted.
. "$(dirname "$0")/lib.sh"

D="$KF_TEST_DATA/datasets/dev"
people="amy bernadette howard leonard penny raj sheldon stuart"

# no_twice FILE: in a JSON with .faces (detail, a payload) or .images[].faces
# (identify), no client matched twice in one photo, at most one match a face,
# "ambiguous" an array on every face, no ambiguous face with a match
no_twice() {
	jq -e '[.faces // (.images[] | .faces)] | all(
		([.[].matches // [] | .[].clientId] | length == (unique | length)) and
		all(.[]; (.matches | length) <= 1 and (.ambiguous | type == "array") and
			((.ambiguous | length) == 0 or (.matches | length) == 0)))' "$1" >/dev/null ||
		{ echo "a client twice in $1:"; cat "$1"; return 1; }
}
# the payload's matches: a client once, a face once
payload_ok() {
	jq -e '([.matches[].clientId] | length == (unique | length)) and
		([.matches[].faceIndex] | length == (unique | length)) and
		all(.faces[]; .ambiguous | type == "array")' "$1" >/dev/null ||
		{ echo "bad payload $1:"; cat "$1"; return 1; }
}
# no_twice_db GALLERY: no (photo, client) twice in face_matches
no_twice_db() {
	test "$(sqlite3 "$KINGFACE_DB" "SELECT count(*) FROM (SELECT f.photo_id, m.client_id
		FROM face_matches m JOIN photo_faces f ON f.id = m.photo_face_id
		JOIN photos p ON p.id = f.photo_id JOIN galleries g ON g.id = p.gallery_id
		WHERE g.name = '$1' GROUP BY 1, 2 HAVING count(*) > 1)")" = 0 &&
	test "$(sqlite3 "$KINGFACE_DB" "SELECT count(*) FROM (SELECT photo_face_id FROM
		face_matches GROUP BY 1 HAVING count(*) > 1)")" = 0
}
# matched_on FILE KEY: in the detail of photo KEY, each face's
# bestBelow.matchedFace is the other face its client is matched on, or null;
# "KEY FACE" appended to the file matched_on for each face without a match
# that says so
matched_on() {
	jq -e '.faces as $f | all(.faces[]; .faceIndex as $i | .bestBelow == null or
		(.bestBelow.clientId as $c | .bestBelow.matchedFace == ([$f[] |
		select(.faceIndex != $i and ([.matches[].clientId] | index($c) != null)) |
		.faceIndex] | first)))' "$1" >/dev/null ||
		{ echo "a wrong matchedFace in $1:"; cat "$1"; return 1; }
	jq -r --arg k "$2" '.faces[] | select(.bestBelow.matchedFace != null and .matches == [] and
		.ambiguous == []) | "\($k) \(.faceIndex)"' "$1" >>matched_on
}
# every_detail GALLERY: no_twice and matched_on on the detail of each of its photos
every_detail() {
	kf photo list "$1" --json | jq -r '.photos[].key' >keys &&
	test -s keys &&
	while read -r k; do
		kf detail "$1" "$k" --json >detail.json && no_twice detail.json &&
		matched_on detail.json "$k" || return 1
	done <keys
}

kf gallery import "$KF_TEST_DEMO" --name demo >/dev/null

test_expect_success 'demo: the four clients of scripts/demo' '
	while read -r name photo face; do
		kf client add demo "$name" >/dev/null &&
		kf enroll demo "$name" "$KF_TEST_DEMO/$photo" --face "$face" >/dev/null || return 1
	done <<-EOF
	Ana sample1.jpg 0
	Bruno sample1.jpg 1
	Carla sample1.jpg 2
	Davi sample5.jpg 0
	EOF
	test "$(kf client list demo --json | jq "[.clients[].faces] | add")" = 4
'

test_expect_success 'demo: identify sample2, each client at most once' '
	kf identify demo "$KF_TEST_DEMO/sample2.jpg" --json >id.json && no_twice id.json &&
	kf identify demo "$KF_TEST_DEMO/sample2.jpg" >id.txt &&
	test "$(grep -c "^  face" id.txt)" = "$(jq ".images[0].faces | length" id.json)"
'

test_expect_success 'demo: process, then no client on two faces of any photo' '
	kf process demo >/dev/null &&
	kf status demo --json | jq -e ".done == 6" >/dev/null &&
	every_detail demo && no_twice_db demo
'

test_expect_success 'demo: results and recognition count each photo once a client' '
	for c in Ana Bruno Carla Davi; do
		kf results demo --client "$c" --json >r.json &&
		jq -e "[.photos[].photoId] | length == (unique | length)" r.json >/dev/null &&
		n=$(sqlite3 "$KINGFACE_DB" "SELECT count(*) FROM face_matches m
			JOIN clients c ON c.id = m.client_id WHERE c.name = '\''$c'\''") &&
		test "$(jq .total r.json)" = "$n" || return 1
	done
'

test_expect_success 'demo: match --json (a cache hit, then --no-cache): the same payload' '
	kf match demo sample4.jpg --json >hit.json && jq -e ".cached == true" hit.json >/dev/null &&
	payload_ok hit.json &&
	kf match demo sample4.jpg --no-cache --json >fresh.json &&
	jq -e ".cached == false" fresh.json >/dev/null && payload_ok fresh.json &&
	jq -S "del(.cached)" hit.json >a && jq -S "del(.cached)" fresh.json >b && test_cmp a b
'

test_expect_success 'demo: rematch assigns by photo too' '
	kf rematch demo --json >rm.json && jq -e ".faces > 0" rm.json >/dev/null &&
	every_detail demo && no_twice_db demo &&
	test "$(jq .matches rm.json)" = "$(kf status demo --json | jq .matches)"
'

mkdir groups && cp "$D"/groups/*.jpg "$KF_TEST_DEMO"/sample*.jpg groups/
kf gallery import groups --name dev >/dev/null

test_expect_success 'dev: the 8 dev clients from their photo #1' '
	for p in $people; do
		kf client add dev "$p" >/dev/null &&
		kf enroll dev "$p" "$D/identities/$p/${p}1.png" >/dev/null || return 1
	done
'

test_expect_success 'dev: identify the group photos and the samples, no client twice' '
	kf identify dev groups/*.jpg --json >idg.json &&
	test "$(jq ".images | length" idg.json)" = 11 && no_twice idg.json &&
	jq -e "[.images[].faces[].matches[]] | length > 0" idg.json >/dev/null
'

test_expect_success 'dev: process them, no client twice in any photo' '
	kf process dev >/dev/null && : >matched_on && every_detail dev && no_twice_db dev &&
	test -s matched_on
'

test_expect_success 'detail says which face holds the best other client' '
	read -r key face <matched_on &&
	kf detail dev "$key" >d.txt && grep -E "^  face $face .*no client .*, matched on face [0-9]+\)$" d.txt
'

test_done
