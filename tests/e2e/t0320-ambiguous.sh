#!/usr/bin/env bash
# Ambiguity is shown, not guessed (core/assign.h): the same person enrolled
# under two client names from two of his photos (sheldon1 and sheldon2), then
# a third photo of him (sheldon3, about 0.004 apart in descriptor distance from
# the two, well within the 0.05 margin): its face matches nobody and names both
# candidates, in detail (text and --json), identify, the match payload and
# its cache hit, after the re-match enrolling makes, and in the console's face detail. It counts as
# no match: no face_matches row, not in results or recognition.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tmux.sh"

D="$KF_TEST_DATA/datasets/dev/identities/sheldon"

mkdir g && cp "$D/sheldon3.png" g/
kf gallery import g --name amb >/dev/null

# ambiguous_ok FILE: face 0 has no match and the two sheldons as candidates
ambiguous_ok() {
	jq -e '.faces[0] | (.matches | length) == 0 and
		([.ambiguous[].clientName] | sort) == ["Sheldon", "Sheldon Twin"] and
		(.ambiguous[0].similarity >= .ambiguous[1].similarity)' "$1" >/dev/null ||
		{ echo "not ambiguous in $1:"; cat "$1"; return 1; }
}

test_expect_success 'one Sheldon: the photo is his' '
	kf client add amb "Sheldon" >/dev/null &&
	kf enroll amb "Sheldon" "$D/sheldon1.png" >/dev/null &&
	kf process amb >/dev/null &&
	kf detail amb sheldon3.png --json >d.json &&
	jq -e ".faces[0].matches[0].clientName == \"Sheldon\" and .faces[0].ambiguous == []" \
		d.json >/dev/null
'

test_expect_success 'a second client from another photo of him: enrolling makes it ambiguous' '
	kf client add amb "Sheldon Twin" >/dev/null &&
	kf enroll amb "Sheldon Twin" "$D/sheldon2.png" --json >e.json &&
	jq -e ".rematch.matches == 0" e.json >/dev/null &&
	kf detail amb sheldon3.png --json >d.json && ambiguous_ok d.json &&
	jq -e ".faces[0].ambiguous[0] | has(\"clientId\") and has(\"similarity\")" d.json >/dev/null
'

test_expect_success 'detail says so in text' '
	kf detail amb sheldon3.png >d.txt && cat d.txt &&
	grep -E "face 0 .*ambiguous: Sheldon( Twin)? [0-9.]+ / Sheldon( Twin)? [0-9.]+ \(confirm with a review\)" d.txt
'

test_expect_success 'it counts as no match: results, recognition, status, the database' '
	kf results amb --client Sheldon --json | jq -e ".total == 0" >/dev/null &&
	kf results amb --client "Sheldon Twin" --json | jq -e ".total == 0" >/dev/null &&
	kf recognition amb --json | jq -e "all(.clients[]; .photos == 0)" >/dev/null &&
	kf status amb --json | jq -e ".matches == 0" >/dev/null &&
	test "$(sqlite3 "$KINGFACE_DB" "SELECT count(*) FROM face_matches")" = 0 &&
	test "$(sqlite3 "$KINGFACE_DB" "SELECT count(*) FROM face_candidates
		WHERE distance IS NOT NULL")" = 2
'

test_expect_success 'match --no-cache: the payload has it; its cache hit too' '
	kf match amb sheldon3.png --no-cache --json >m.json &&
	jq -e ".cached == false and .matches == []" m.json >/dev/null && ambiguous_ok m.json &&
	kf match amb sheldon3.png --json >c.json &&
	jq -e ".cached == true" c.json >/dev/null && ambiguous_ok c.json &&
	kf detail amb sheldon3.png --json >d2.json && ambiguous_ok d2.json
'

test_expect_success 'identify shows it too (text and --json)' '
	kf identify amb g/sheldon3.png --json >i.json &&
	jq "{faces: .images[0].faces}" i.json >if.json && ambiguous_ok if.json &&
	kf identify amb g/sheldon3.png >i.txt && cat i.txt &&
	grep -E "face 0 .*ambiguous: Sheldon.* / Sheldon.*\(confirm with a review\)" i.txt
'

test_expect_success 'removing a candidate client settles it at once' '
	kf client remove amb "Sheldon Twin" --yes >out && test_grep out "re-matched the gallery" &&
	kf detail amb sheldon3.png --json >d3.json &&
	jq -e ".faces[0].matches[0].clientName == \"Sheldon\" and .faces[0].ambiguous == []" \
		d3.json >/dev/null &&
	test "$(sqlite3 "$KINGFACE_DB" "SELECT count(*) FROM face_candidates")" = 0
'


test_expect_success 'the console face detail shows both candidates' '
	kf client add amb "Sheldon Twin" >/dev/null &&
	kf enroll amb "Sheldon Twin" "$D/sheldon2.png" >/dev/null &&
	unset COLORTERM NO_COLOR &&
	tm new-session -d -s kf -x 120 -y 30 -c "$TRASH" \
		"TERM=xterm LANG=C.UTF-8 '\''$KINGFACE'\'' 2>kf.err; echo \$? >kf.exit; sleep 600" &&
	wait_for kf "Galleries (1)" && tm send-keys -t kf Enter && wait_for kf "1 Clients" &&
	tm send-keys -t kf 2 && wait_for kf "sheldon3.png" && tm send-keys -t kf Enter &&
	wait_for kf "face detail" && wait_for kf "confirm with a review" &&
	tm capture-pane -p -t kf >detail.screen && cat detail.screen &&
	grep -E ">0 +conf .*ambiguous:" detail.screen && grep -E "   Sheldon [0-9.]+ *$" detail.screen &&
	grep -E " or Sheldon( Twin)? [0-9.]+ *$" detail.screen &&
	grep -F "(confirm with a review)" detail.screen &&
	tm send-keys -t kf Q &&
	for i in $(seq 1 100); do [ -f kf.exit ] && break; sleep 0.1; done &&
	test "$(cat kf.exit)" = 0 && ! grep -i sanitizer kf.err
'

test_done
