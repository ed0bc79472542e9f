#!/usr/bin/env bash
# export: a folder per client holding exactly the photos `results --client`
# lists, a manifest, hard links or copies, safe folder names, nothing written
# outside DIR, existing files never overwritten, failures leave no manifest.
. "$(dirname "$0")/lib.sh"

demo_photos photos && mkdir -p photos/day2 && cp photos/sample1.jpg photos/day2/sample1.jpg
kf gallery import photos --name g >/dev/null
# odd names on purpose: a path, a case twin (the platform's, with an external
# id: one typed here is refused as Ana's), a control character (refused as
# typed, but a platform's name comes as it is), a dot
enroll() { kf client add g "$1" ${4:+--external-id "$4"} >/dev/null &&
	kf enroll g "$1" "photos/$2" --face "$3" >/dev/null; }
enroll Ana sample1.jpg 0 && enroll ANA sample1.jpg 1 p7 && enroll ../evil sample1.jpg 2 &&
	enroll "a/b c" sample5.jpg 0 && enroll . sample5.jpg 1 && enroll Nobody sample5.jpg 2 &&
	sqlite3 "$KINGFACE_DB" "UPDATE clients SET name = 'a/b' || char(9) || 'c' WHERE name = 'a/b c'" ||
	echo "the clients were not made" >&2
kf client remove g Nobody --yes >/dev/null 2>&1 || true
kf process g >/dev/null

# the photos results lists for a client, one key a line, sorted
listed() { kf results g --client "$1" --json | jq -r '.photos[].key' | sort; }

test_expect_success 'export: one folder per client with photos, safe names' '
	mkdir m && ls -A >m/before &&
	kf export g --to out >m/msg && test_grep m/msg "manifest out/manifest.csv" &&
	ls -A | grep -vx out >m/after && test_cmp m/before m/after &&
	(cd out && find . -mindepth 1 -maxdepth 1 | sort) >m/got &&
	printf "%s\n" ./ANA "./Ana (2)" ./_ ./_evil ./a_b_c ./manifest.csv | sort >m/want &&
	test_cmp m/want m/got
'

test_expect_success 'each folder holds exactly what results lists, as hard links' '
	for c in "Ana:Ana (2)" ANA:ANA ../evil:_evil .:_; do
		name=${c%%:*} dir=${c#*:} &&
		listed "$name" >keys && test -s keys &&
		test "$(ls "out/$dir" | wc -l)" = "$(wc -l <keys)" &&
		while read -r k; do
			test -f "out/$dir/${k##*/}" || test -f "out/$dir/${k//\//_}" || return 1
		done <keys || return 1
	done &&
	test "$(stat -c %i "out/Ana (2)/sample1.jpg")" = "$(stat -c %i photos/sample1.jpg)"
'

test_expect_success 'two photos of one client with one file name keep their whole key' '
	listed Ana >keys && grep -qx day2/sample1.jpg keys && grep -qx sample1.jpg keys &&
	test -f "out/Ana (2)/day2_sample1.jpg" && test -f "out/Ana (2)/sample1.jpg"
'

test_expect_success 'the manifest: a header and a row per photo, quoted as CSV' '
	head -1 out/manifest.csv >h && echo "client,photo,face,similarity,review" >want &&
	test_cmp want h &&
	rows=0 && for c in Ana ANA ../evil . "$(printf "a/b\tc")"; do
		rows=$((rows + $(listed "$c" | wc -l)))
	done &&
	test "$(($(wc -l <out/manifest.csv) - 1))" = "$rows" &&
	grep -q "^Ana,sample1.jpg,0,[0-9.]*,$" out/manifest.csv &&
	grep -q "^\"\\.\\./evil\"\\|^\\.\\./evil," out/manifest.csv
'

test_expect_success 'exporting again: the photos already there, quietly' '
	kf export g --to out --json >j 2>err && ! test -s err &&
	jq -e ".existing == .photos and .kept == 0 and .linked == 0 and .copied == 0" j
'

test_expect_success 'an existing file is never overwritten; the export goes on' '
	rm "out/Ana (2)/sample1.jpg" && echo mine >"out/Ana (2)/sample1.jpg" &&
	kf export g --to out --json >j 2>err &&
	test_grep err "out/Ana (2)/sample1.jpg is another file: left as it is" &&
	test "$(wc -l <err)" = 1 &&
	test "$(cat "out/Ana (2)/sample1.jpg")" = mine && cmp photos/sample1.jpg photos/day2/sample1.jpg &&
	jq -e ".existing == .photos and .kept == 1 and .linked == 0 and .copied == 0" j
'

test_expect_success '--client and --copy: one client, copies' '
	kf export g --to copies --client Ana --copy --json >j &&
	jq -e ".clients == 1 and .copied == .photos and .linked == 0" j &&
	(cd copies && ls) >got && printf "%s\n" Ana manifest.csv >want && test_cmp want got &&
	test "$(stat -c %i copies/Ana/sample1.jpg)" != "$(stat -c %i photos/sample1.jpg)" &&
	cmp copies/Ana/sample1.jpg photos/sample1.jpg &&
	test "$(wc -l <copies/manifest.csv)" = $(($(listed Ana | wc -l) + 1)) &&
	! kf export g --to copies --client Zed 2>err && test_grep err "Zed"
'

test_expect_success 'a client folder that is a symlink is refused, no manifest written' '
	mkdir elsewhere evil && ln -s ../elsewhere evil/ANA &&
	! kf export g --to evil 2>err && test_grep err "not a folder" &&
	test ! -e evil/manifest.csv && test -z "$(ls elsewhere)" &&
	test -z "$(ls -A evil | grep -v "^Ana (2)$\|^ANA$\|^_$\|^_evil$\|^a_b_c$")"
'

test_expect_success 'a full disk stops the export with the reason, no manifest, no partial file' '
	( trap "" XFSZ; ulimit -f 64; ! kf export g --to full --copy 2>err ) &&
	test_grep err "File too large" && test ! -e full/manifest.csv &&
	! find full -name "*.tmp" | grep . &&
	for f in $(find full -type f); do
		cmp "$f" "photos/$(basename "$f")" || return 1
	done
'

test_expect_success 'bad --to: a file, or missing' '
	echo x >afile && ! kf export g --to afile 2>err && test_grep err "afile" &&
	! kf export g 2>err && test_grep err "--to DIR is required"
'

test_done
