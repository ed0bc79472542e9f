#!/usr/bin/env bash
# The console's reviews, end to end in tmux: in the face detail y confirms
# the face's client, x rejects it, n confirms it as a client named at a
# prompt (Tab completes; the client must exist), c forgets the reviews; an
# ambiguous face asks which candidate y confirms; --readonly refuses them.
# Each is checked with `kingface detail --json` on the same database. The
# detail shows "(confirmed)", "not: NAME" and the selected face beside its
# client's reference face. x / X on the Clients tab export a client's (every
# client's) photos as `kingface export` does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tmux.sh"

unset COLORTERM NO_COLOR
mkdir -p screens

demo_photos photos
kf gallery import photos --name studio >/dev/null
while read -r name photo face; do
	kf client add studio "$name" >/dev/null &&
		kf enroll studio "$name" "photos/$photo" --face "$face" >/dev/null
done <<'CLIENTS'
Ana sample1.jpg 0
Bruno sample1.jpg 1
Carla sample1.jpg 2
Davi sample5.jpg 0
CLIENTS
kf process studio >/dev/null 2>&1
# the same person under two names (t0320): his third photo is ambiguous
D="$KF_TEST_DATA/datasets/dev/identities/sheldon"
mkdir twins && cp "$D/sheldon3.png" twins/
kf gallery import twins --name twins >/dev/null
kf client add twins "Sheldon" >/dev/null && kf enroll twins "Sheldon" "$D/sheldon1.png" >/dev/null
kf client add twins "Sheldon Twin" >/dev/null &&
	kf enroll twins "Sheldon Twin" "$D/sheldon2.png" >/dev/null
kf process twins >/dev/null 2>&1

# face GALLERY PHOTO FACE JQ: `kingface detail --json` of that face satisfies JQ
face() {
	kf detail "$1" "$2" --json >face.json &&
		jq -e ".faces[] | select(.faceIndex == $3) | $4" face.json >/dev/null ||
		{ echo "face $3 of $2 is not $4:"; jq ".faces[] | select(.faceIndex == $3)" face.json; return 1; }
}
# open SESSION GALLERY PHOTO: the photo's face detail, from the galleries list
open_detail() {
	keys "$1" / C-u && keys "$1" -l "$2" && keys "$1" Enter Enter && wait_for "$1" "1 Clients" &&
		keys "$1" 2 && wait_for "$1" "STATUS" && keys "$1" / C-u && keys "$1" -l "$3" &&
		keys "$1" Enter && wait_for "$1" "$3" && keys "$1" Enter &&
		wait_for "$1" "$3 │ face detail" 30 && wait_gone "$1" "Loading the photo" 30
}
# back SESSION: from the detail to the galleries list
back() {
	keys "$1" q && wait_for "$1" "STATUS" && keys "$1" q && wait_for "$1" "Galleries (2)"
}

console kf 120x34

test_expect_success 'the face detail: the face beside its client'\''s reference face' '
	wait_for kf "Galleries (2)" && open_detail kf studio sample1.jpg && save kf 1-detail &&
	grep -E ">0 +conf [0-9.]+ +Ana 100.0 *$" screens/1-detail &&
	grep -E "│? *face 0 +Ana *$" screens/1-detail &&
	test "$(grep -c "conf [0-9]" screens/1-detail)" = 3
'

test_expect_success 'y confirms the face'\''s client' '
	keys kf y && wait_for kf "face 0: confirmed Ana; matched now: Ana" && save kf 2-confirmed &&
	grep -E ">0 +conf [0-9.]+ +Ana 100.0 \(confirmed\)" screens/2-confirmed &&
	face studio sample1.jpg 0 ".matches[0].clientName == \"Ana\" and .matches[0].review == \"confirmed\""
'

test_expect_success 'at 80 columns the face line keeps its client and review, not its confidence' '
	tm resize-window -t kf -x 80 -y 24 && wait_match kf ">0 +Ana 100.0 \(confirmed\)" &&
	save kf 2-confirmed-80 && grep -q "conf [0-9]" screens/2-confirmed-80 &&
	tm resize-window -t kf -x 120 -y 34 && wait_match kf ">0 +conf [0-9.]+ +Ana 100.0"
'

test_expect_success 'x rejects it: the match goes, "not: Ana" shows' '
	keys kf x && wait_for kf "face 0: rejected Ana" && save kf 3-rejected &&
	grep -E " not: Ana *$" screens/3-rejected &&
	face studio sample1.jpg 0 "all(.matches[]; .clientName != \"Ana\") and .rejected[0].clientName == \"Ana\""
'

test_expect_success 'c forgets the reviews: the engine decides again' '
	keys kf c && wait_for kf "face 0: 1 review forgotten; matched now: Ana 100.0" &&
	face studio sample1.jpg 0 ".matches[0].clientName == \"Ana\" and .matches[0].review == null and .rejected == []"
'

test_expect_success 'n confirms a face as a client named at the prompt (Tab completes)' '
	keys kf Down Down && sleep 0.3 && tm capture-pane -p -t kf | grep -E ">2 +conf" &&
	keys kf n && wait_for kf "Face 2 is client" && keys kf -l "Da" && keys kf Tab &&
	wait_for kf "Face 2 is client (Tab completes): Davi" && keys kf Enter &&
	wait_for kf "face 2: confirmed Davi" && save kf 4-named &&
	grep -E ">2 +conf [0-9.]+ +Davi [0-9.]+ \(confirmed\)" screens/4-named &&
	face studio sample1.jpg 2 ".matches[0].clientName == \"Davi\" and .matches[0].review == \"confirmed\""
'

test_expect_success 'n with a name that is no client: an error, nothing changes' '
	keys kf n && wait_for kf "Face 2 is client" && keys kf -l "Zed" && keys kf Enter &&
	wait_for kf "no client '\''Zed'\'' in this gallery" &&
	face studio sample1.jpg 2 ".matches[0].clientName == \"Davi\"" &&
	keys kf c && wait_for kf "face 2: 1 review forgotten"
'

test_expect_success 'y on a face with no client says so' '
	back kf && open_detail kf studio sample2.jpg &&
	kf detail studio sample2.jpg --json | jq -e ".faces[1].matches == []" &&
	keys kf Down && sleep 0.3 && keys kf y && wait_for kf "face 1 has no client to confirm"
'

test_expect_success 'an ambiguous face: y asks which candidate' '
	back kf && open_detail kf twins sheldon3.png && wait_for kf "confirm with a review" &&
	kf detail twins sheldon3.png --json >amb.json &&
	second=$(jq -r ".faces[0].ambiguous[1].clientName" amb.json) &&
	keys kf y && wait_for kf "confirm which?" && save kf 5-which &&
	grep -F "Face 0 is 1 $(jq -r ".faces[0].ambiguous[0].clientName" amb.json) or 2 $second" screens/5-which &&
	keys kf 2 Enter && wait_for kf "face 0: confirmed $second" && save kf 6-picked &&
	face twins sheldon3.png 0 ".matches[0].clientName == \"$second\" and .matches[0].review == \"confirmed\" and .ambiguous == []"
'

test_expect_success 'x on the Clients tab exports the client'\''s photos' '
	back kf && keys kf / C-u && keys kf -l studio && keys kf Enter Enter && wait_for kf "1 Clients" &&
	keys kf x && wait_for kf "Export the photos of '\''Ana'\'' to folder:" &&
	keys kf -l "$TRASH/delivered" && keys kf Enter &&
	wait_for kf "exported 1 photo of '\''Ana'\'' (0 already there) to $TRASH/delivered" &&
	test -f delivered/Ana/sample1.jpg && test "$(ls delivered)" = "$(printf "Ana\nmanifest.csv")" &&
	grep -q "^Ana,sample1.jpg,0,[0-9.]*,$" delivered/manifest.csv &&
	rm delivered/Ana/sample1.jpg && echo mine >delivered/Ana/sample1.jpg &&
	keys kf x && wait_for kf "Export the photos of" && keys kf Enter &&
	wait_for kf "(0 already there, 1 name taken by another file: left as they are)" &&
	test "$(cat delivered/Ana/sample1.jpg)" = mine
'

test_expect_success 'X exports every client: the folders kingface export writes' '
	keys kf X && wait_for kf "Export every client" && keys kf C-u &&
	keys kf -l "$TRASH/all" && keys kf Enter && wait_for kf "(0 already there) to $TRASH/all" &&
	kf export studio --to cli >/dev/null &&
	(cd all && find . | sort) >got && (cd cli && find . | sort) >want && test_cmp want got &&
	test_cmp cli/manifest.csv all/manifest.csv &&
	keys kf Q && ended_ok kf
'

console ro 100x30 --readonly

test_expect_success '--readonly refuses the review keys' '
	wait_for ro "Galleries (2)" && open_detail ro studio sample1.jpg &&
	for k in y x n c; do
		keys ro "$k" && wait_for ro "read-only console: $k" || return 1
	done &&
	face studio sample1.jpg 0 ".matches[0].clientName == \"Ana\" and .matches[0].review == null" &&
	keys ro Q && ended_ok ro
'

for f in screens/*; do
	say "# --- screen: ${f#screens/} ---"
	sed 's/^/# /' "$f"
done
test_done
