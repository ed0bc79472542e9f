#!/usr/bin/env bash
# The console's People tab, end to end in tmux: the 32 dev probe photos with
# no client enrolled (t0330 does the same with the CLI), their clusters listed
# as `kingface people` lists them with the representative face beside; a
# cluster's faces, x taking one out (and putting one back), Enter the face
# detail; a assigning the cluster to a new client (asks, adds it), and another
# cluster from the tab to an existing client (Tab completes), a third to one
# typed in other letters (case, spaces: no new client). Each checked
# with `kingface results --client --json` and `kingface people --json` on the
# same database. A Rekognition gallery says why it has no people; --readonly
# refuses a.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tmux.sh"

unset COLORTERM NO_COLOR
mkdir -p screens

D="$KF_TEST_DATA/datasets/dev/identities"
mkdir photos one
for p in amy bernadette howard leonard penny raj sheldon stuart; do
	for i in 2 3 4 5; do cp "$D/$p/$p$i.png" photos/; done
done
cp "$D/amy/amy1.png" one/
kf gallery import photos --name dev >/dev/null
kf process dev >/dev/null 2>&1
kf client add dev "Bernadette R" >/dev/null	# clients with no face yet
kf client add dev "Howard Wolowitz" >/dev/null
kf people dev --json >before.json
# a gallery on Rekognition: no descriptors, no people (switching needs no network)
kf gallery import one --name rek >/dev/null
kf gallery engine rek rekognition --yes >/dev/null 2>&1

# people SESSION GALLERY: the gallery's People tab, from the galleries list
people() {
	keys "$1" / C-u && keys "$1" -l "$2" && keys "$1" Enter Enter && wait_for "$1" "1 Clients" &&
		keys "$1" 5 && wait_for "$1" "$2 │ People"
}
# confirmed CLIENT: the photos confirmed as the client, sorted, one a line
confirmed() {
	kf results dev --client "$1" --json |
		jq -r '[.photos[] | select(.review == "confirmed") | .key] | sort | .[]'
}

c1_faces=$(jq '.clusters[0].faces' before.json)
c1_photos=$(jq '.clusters[0].photos | length' before.json)
c1_rep=$(jq -r '.clusters[0].representative.photo' before.json)
out=$(jq -r '.clusters[0].photos[1]' before.json)		# the face taken out
jq -r '.clusters[0].photos[]' before.json | grep -vxF "$out" >want-c1

console kf 120x34

test_expect_success 'the People tab lists the clusters as kingface people does' '
	test "$c1_faces" -ge 3 &&
	wait_for kf "Galleries (2)" && people kf dev && wait_for kf "REPRESENTATIVE" && save kf 1-people &&
	test_grep screens/1-people "5 People" &&
	test "$(grep -cE "^ +[0-9]+ +[0-9]+ faces in +[0-9]+ photos" screens/1-people)" = \
		"$(jq ".clusters | length" before.json)" &&
	grep -E "^ +1 +$c1_faces faces in +$c1_photos photos  $c1_rep, face 0" screens/1-people &&
	grep -E "REPRESENTATIVE FACE +$c1_rep, face 0" screens/1-people &&
	grep -F "$(jq .unclustered before.json) unclustered faces" screens/1-people
'

test_expect_success 'Enter shows the cluster'\''s faces' '
	keys kf Enter && wait_for kf "cluster 1: $c1_faces faces in $c1_photos photos" &&
	save kf 2-cluster &&
	for k in $(jq -r ".clusters[0].photos[]" before.json); do
		grep -E "^ $k +0 +[0-9.]+" screens/2-cluster || return 1
	done &&
	keys kf "?" && wait_for kf "Help: People: a cluster" && save kf 2-help &&
	test_grep screens/2-help "take the face out of the cluster" &&
	test_grep screens/2-help "assign the cluster" && keys kf Space && wait_for kf "x out/in"
'

test_expect_success 'x takes a face out, x again puts it back' '
	keys kf Down x && wait_for kf "$out, face 0 taken out of the cluster" &&
	keys kf x && wait_for kf "· 2 out ·" && keys kf Up x && wait_for kf "back in the cluster" &&
	wait_for kf "· 1 out ·" && save kf 3-out &&
	grep -E "^ $out +0 +[0-9.]+  \(out\)" screens/3-out &&
	test "$(grep -c "(out)" screens/3-out)" = 1
'

test_expect_success 'Enter on a face opens its face detail' '
	keys kf Up Up Enter && wait_for kf "$out │ face detail" 30 && save kf 4-detail &&
	keys kf q && wait_for kf "cluster 1: $c1_faces faces" && wait_for kf "· 1 out ·"
'

test_expect_success 'a assigns the cluster but the face out to a new client (asks first)' '
	keys kf a && wait_for kf "Cluster 1 ($((c1_faces - 1)) faces, 1 out) is client" &&
	keys kf -l "Amy Pond" && keys kf Enter && wait_for kf "add client '\''Amy Pond'\''? (y/n)" &&
	keys kf y &&
	wait_for kf "cluster 1 is Amy Pond: $((c1_faces - 1)) faces confirmed, 3 added as references" 30 &&
	wait_for kf "dev │ People" && save kf 5-assigned &&
	confirmed "Amy Pond" >got-c1 && test_cmp want-c1 got-c1 &&
	kf results dev --client "Amy Pond" --json |
		jq -e "[.photos[] | select(.key == \"$out\" and .review == \"confirmed\")] == []" &&
	kf people dev --json >after.json &&
	for k in $(cat want-c1); do
		jq -e "[.clusters[].photos[] | select(. == \"$k\")] == []" after.json || return 1
	done &&
	test "$(jq ".clusters | length" after.json)" = "$(( $(jq ".clusters | length" before.json) - 1 ))"
'

test_expect_success 'a on the tab: an existing client, Tab completes the name typed in other letters' '
	keys kf / C-u && keys kf -l bernadette && keys kf Enter &&
	wait_for kf "bernadette" && save kf 6-filtered &&
	test "$(grep -cE "^ +[0-9]+ +[0-9]+ faces in" screens/6-filtered)" = 1 &&
	b_id=$(jq "[.clusters[] | select(.photos[0] | startswith(\"bernadette\"))][0].id" after.json) &&
	b_n=$(jq "[.clusters[] | select(.photos[0] | startswith(\"bernadette\"))][0].faces" after.json) &&
	keys kf a && wait_for kf "Cluster $b_id ($b_n faces) is client" && keys kf -l "bern" &&
	keys kf Tab && wait_for kf "a new name adds one): Bernadette R" && keys kf Enter &&
	wait_for kf "cluster $b_id is Bernadette R: $b_n faces confirmed" 30 &&
	test "$(confirmed "Bernadette R" | wc -l)" = "$b_n" &&
	kf people dev --json | jq -e "[.clusters[].photos[] | select(startswith(\"bernadette\"))] == []" &&
	keys kf / C-u Enter
'

test_expect_success 'a: a client'\''s name in other letters is that client, not a new one' '
	kf people dev --json >now.json &&
	keys kf / C-u && keys kf -l howard && keys kf Enter && wait_for kf "howard" &&
	h_id=$(jq "[.clusters[] | select(.photos[0] | startswith(\"howard\"))][0].id" now.json) &&
	h_n=$(jq "[.clusters[] | select(.photos[0] | startswith(\"howard\"))][0].faces" now.json) &&
	keys kf a && wait_for kf "Cluster $h_id ($h_n faces) is client" &&
	keys kf -l " HOWARD_wolowitz" && keys kf Enter &&
	wait_for kf "cluster $h_id is Howard Wolowitz: $h_n faces confirmed" 30 &&
	test "$(confirmed "Howard Wolowitz" | wc -l)" = "$h_n" &&
	test "$(kf client list dev --json | jq ".clients | length")" = 3 &&
	keys kf / C-u Enter
'

test_expect_success 'a Rekognition gallery: no people, and why' '
	keys kf q && wait_for kf "Galleries (2)" && people kf rek &&
	wait_for kf "people needs the local engine" && save kf 7-rekognition &&
	keys kf a && wait_for kf "which keeps no face descriptors" &&
	keys kf Q && ended_ok kf
'

console ro 100x30 --readonly

test_expect_success '--readonly refuses a, on the tab and in a cluster' '
	wait_for ro "Galleries (2)" && people ro dev && wait_for ro "REPRESENTATIVE" &&
	keys ro a && wait_for ro "read-only console: a" &&
	keys ro Enter && wait_for ro "faces in" && keys ro a && wait_for ro "read-only console: a" &&
	test "$(confirmed "Amy Pond" | wc -l)" = "$((c1_faces - 1))" &&
	keys ro Q && ended_ok ro
'

for f in screens/*; do
	say "# --- screen: ${f#screens/} ---"
	sed 's/^/# /' "$f"
done
test_done
