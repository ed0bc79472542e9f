#!/usr/bin/env bash
# client import: a folder of reference photos, a subfolder or a photo a client.
. "$(dirname "$0")/lib.sh"

D="$KF_TEST_DATA/datasets/dev/identities"
# the gallery: photos 3 to 5 of four identities, processed before any client
mkdir photos && for n in amy bernadette howard raj; do cp "$D/$n/${n}3.png" "$D/$n/${n}4.png" photos/; done
kf gallery import photos --name g >/dev/null && kf process g >/dev/null 2>&1
kf client add g amy >/dev/null
# the references: a folder (amy, who exists), a photo named as the client
# (bernadette), both for one client (howard), a name with spaces around it,
# and what cannot be enrolled or is not read
mkdir -p refs/amy refs/howard refs/empty refs/.hidden
cp "$D/amy/amy1.png" "$D/amy/amy2.png" refs/amy/
cp "$D/bernadette/bernadette1.png" refs/bernadette.png
cp "$D/bernadette/bernadette2.png" "refs/bernadette (2).png"	# a second copy's name
cp "$D/howard/howard1.png" refs/howard/ && cp "$D/howard/howard2.png" refs/howard.PNG
cp "$D/raj/raj1.png" "refs/ Raj .png"
cp "$D/penny/penny1.png" refs/.hidden/ && cp "$D/penny/penny1.png" refs/.penny.png
echo "not a photo" >refs/notes.jpg
ln -s ../refs refs/loop		# a link to a folder is not followed
cp "$KF_TEST_DEMO/sample1.jpg" refs/crowd.jpg

test_expect_success '--dry-run: what the import would do; nothing changes' '
	cp "$KINGFACE_DB" before.db &&
	! kf client import g refs --dry-run --json >out &&
	jq -e ".dryRun and .created == 5 and .toEnroll == 9 and .alreadyEnrolled == 0 and .failed == 1" out &&
	jq -e ".clients[0] | .clientId == 1 and .created == false and (.toEnroll | length) == 2" out &&
	jq -e ".clients[3] | .clientId == null and (.error | test(\"no .jpg\"))" out &&
	! kf client import g refs --dry-run >out &&
	test_grep out "bernadette (new client): 2 to enroll" &&
	test_grep out "nothing was changed" &&
	test "$(sqlite3 before.db .dump | md5sum)" = "$(sqlite3 "$KINGFACE_DB" .dump | md5sum)"
'

test_expect_success 'a folder of references: clients added, photos enrolled, failures said' '
	! kf client import g refs --json >out 2>err &&
	jq -e ".created == 3 and .enrolled == 7 and .alreadyEnrolled == 0 and .failed == 3" out &&
	jq -e "[.clients[].name] == [\"amy\", \"bernadette\", \"crowd\", \"empty\", \"howard\", \"notes\", \"Raj\"]" out &&
	jq -e ".clients[1] | .clientName == \"bernadette\" and .references == 2" out &&
	jq -e ".clients[0] | .clientId == 1 and .created == false and .references == 2 and
		([.enrolled[].image] == [\"refs/amy/amy1.png\", \"refs/amy/amy2.png\"])" out &&
	jq -e ".clients[4] | .created and .references == 2 and
		([.enrolled[].image] == [\"refs/howard.PNG\", \"refs/howard/howard1.png\"])" out &&
	jq -e ".clients[6] | .clientName == \"Raj\" and .created" out &&
	jq -e ".clients[2] | .clientId == null and (.failed[0].error | test(\"faces found.*kingface enroll\"))" out &&
	jq -e ".clients[3] | .clientId == null and (.error | test(\"no .jpg, .jpeg or .png photo\"))" out &&
	jq -e ".clients[5].failed[0].error | test(\"not a JPEG or PNG\")" out &&
	test_grep err "--face 0" && test_grep err "refs/empty" &&
	kf client list g --json | jq -e "[.clients[].name] | sort == [\"Raj\", \"amy\", \"bernadette\", \"howard\"]"
'

test_expect_success 'the gallery is matched again: each client finds its photos' '
	jq -e ".rematch.faces > 0 and .rematch.matches > 0" out &&
	for n in amy bernadette howard raj; do
		kf results g --client "$(echo $n | sed s/^raj/Raj/)" --json |
			jq -e "[.photos[].key] | sort == [\"${n}3.png\", \"${n}4.png\"]" || exit 1
	done
'

test_expect_success 'imported again: nothing twice; a new photo is enrolled' '
	rm -r refs/notes.jpg refs/crowd.jpg refs/empty &&
	kf client import g refs >out &&
	test_grep out "photos: 0 enrolled, 7 already enrolled, 0 failed" &&
	! grep -q "amy" out &&
	cp "$D/amy/amy5.png" refs/amy/ && kf client import g refs >out &&
	test_grep out "amy: 1 enrolled, 2 already enrolled; 3 references in all" &&
	test "$(kf client faces g amy --json | jq ".faces | length")" = 3
'

test_expect_success 'a name in other letters is the same client, never a second one' '
	mkdir -p case/HOWARD && cp "$D/howard/howard5.png" case/HOWARD/ &&
	kf client import g case >out &&
	test_grep out "howard: 1 enrolled; 3 references in all" &&
	test_grep out "1 client (0 new)" &&
	! kf client add g " AMY_" 2>err &&
	test_grep err "amy" && test_grep err "the same name but for case" &&
	kf results g --client RAJ --json | jq -e ".photos | length == 2" &&
	test "$(kf client list g --json | jq ".clients | length")" = 4
'

test_expect_success 'one person as two clients: status names them, the threshold is set by the others' '
	mkdir -p "dup/Amy Copy" && cp "$D/amy/amy1.png" "dup/Amy Copy/" &&
	kf client import g dup >out && test_grep out "note: '\''amy'\'' and '\''Amy Copy'\'' look like one person" &&
	kf status g --json >out &&
	jq -e ".threshold.alike | .clientNames == [\"amy\", \"Amy Copy\"] and .onePerson" out &&
	jq -e ".threshold.value < 95" out &&
	kf status g >out && test_grep out "'\''amy'\'' and '\''Amy Copy'\'' look like one person (similarity 100.0)" &&
	kf client remove g "Amy Copy" --yes >/dev/null &&
	kf status g --json | jq -e ".threshold.alike == null"
'

test_expect_success 'a bad folder: a clear error, nothing stored' '
	n=$(kf client list g --json | jq ".clients | length") &&
	! kf client import g nowhere 2>err && test_grep err "cannot read the folder" &&
	! kf client import g refs/bernadette.png 2>err && test_grep err "is not a folder" &&
	mkdir none && ! kf client import g none 2>err && test_grep err "no reference photo in" &&
	test "$(kf client list g --json | jq ".clients | length")" = "$n"
'

test_done
