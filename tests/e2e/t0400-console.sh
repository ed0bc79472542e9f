#!/usr/bin/env bash
# The console: driven in tmux (private socket, no config), as a user would:
# galleries, help, add a client and enroll her from a photo (Tab completion),
# rename her, process in the background up to X/X, the Recognition tab against
# `kingface recognition --json`, a client's photos, the face detail, a resize,
# her reference faces and removing one, a folder of clients' reference photos
# imported, a folder imported as a gallery, --readonly refusing a delete, and
# changes made by another process shown without a key (the People tab's once
# due). Each view's screen is printed at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tmux.sh"

unset COLORTERM NO_COLOR   # the colours of this terminal, not the caller's
mkdir -p screens g bin
# a stand-in for the desktop's opener
printf '#!/bin/sh\necho "$1" >"%s/opened"\n' "$TRASH" >bin/xdg-open && chmod +x bin/xdg-open
cp "$KF_TEST_DEMO"/sample1.jpg "$KF_TEST_DEMO"/sample5.jpg g/
kf gallery import g --name wedding >/dev/null


CONSOLE_TERM=xterm console kf 100x30

test_expect_success 'the galleries list, on a plain TERM=xterm' '
	wait_for kf "wedding" && save kf 1-galleries &&
	test_grep screens/1-galleries "Galleries (1)" &&
	grep -E "wedding +2 +0 +0/0" screens/1-galleries
'

test_expect_success '? opens the help of the screen, any key closes it' '
	keys kf "?" && wait_for kf "Help" && save kf 2-help &&
	test_grep screens/2-help "process the gallery" &&
	keys kf x && wait_gone kf "any key closes" 5
'

test_expect_success 'the help wraps a long line, and scrolls when it does not fit' '
	keys kf Enter && wait_for kf "1 Clients" && keys kf "?" && wait_for kf "Help: Gallery" &&
	save kf 2-help-gallery &&
	test_grep screens/2-help-gallery "from a photo file (Tab completes the" &&
	grep -E "^ *. {11}path\) " screens/2-help-gallery &&
	test_grep screens/2-help-gallery "PgUp/PgDn: scroll" &&
	! grep -q "Up/Down   move" screens/2-help-gallery &&
	keys kf NPage && wait_for kf "Up/Down   move" && keys kf Up && wait_for kf "Help: Gallery" &&
	keys kf x && wait_gone kf "Help: Gallery" 5 && keys kf q && wait_for kf "Galleries (1)"
'

test_expect_success 'a adds a client, e enrolls her from a photo file with Tab completion' '
	keys kf Enter && wait_for kf "1 Clients" &&
	keys kf a && wait_for kf "name:" && keys kf -l "Ana" && keys kf Enter &&
	wait_for kf "added client" &&
	keys kf e && wait_for kf "from photo file" &&
	keys kf -l "g/sam" && keys kf Tab && wait_for kf "file: g/sample" &&
	keys kf -l "1" && keys kf Tab && wait_for kf "g/sample1.jpg" && save kf 3-enroll-prompt &&
	keys kf Enter && wait_for kf "which?" 180 && keys kf Enter &&
	wait_for kf "enrolled face 0" 60 && save kf 4-clients &&
	grep -E "Ana +1 +0" screens/4-clients
'

test_expect_success 'n renames the client, the prompt holding her name' '
	keys kf n && wait_for kf "Rename the client to: Ana" && keys kf -l " Souza" && keys kf Enter &&
	wait_for kf "renamed client '\''Ana'\'' to '\''Ana Souza'\''" &&
	kf client list wedding --json | jq -e "[.clients[].name] == [\"Ana Souza\"]" &&
	keys kf n && wait_for kf "to: Ana Souza" &&
	keys kf BSpace BSpace BSpace BSpace BSpace BSpace && keys kf Enter &&
	wait_for kf "to '\''Ana'\''" && kf client list wedding --json | jq -e "[.clients[].name] == [\"Ana\"]"
'

test_expect_success 'p processes in the background up to X/X' '
	keys kf p && wait_for kf "Processing… " 60 && save kf 5-processing &&
	keys kf 2 && wait_for kf "STATUS" &&
	wait_for kf "Processed 2/2" 240 && save kf 6-processed &&
	kf status wedding --json | jq -e ".done == 2" &&
	grep -E "sample1.jpg +done +3" screens/6-processed &&
	grep -F "$(kf status wedding --json | jq -r .threshold.why)" screens/6-processed
'

test_expect_success 'the Recognition tab has the counts of kingface recognition --json' '
	keys kf 3 && wait_for kf "PHOTOS" && save kf 7-recognition &&
	kf recognition wedding --json | jq -r ".clients[] | \"\(.name) \(.photos)\"" >expect &&
	awk "/CLIENT +PHOTOS/ {on=1; next} on && NF == 2 {print \$1, \$2}" screens/7-recognition >actual &&
	cat actual && test -s expect && test_cmp expect actual
'

test_expect_success 'Enter lists the client photos, Enter again the face detail' '
	keys kf Enter && wait_for kf "SIMILARITY" && save kf 8-client-photos &&
	test_grep screens/8-client-photos "sample1.jpg" &&
	keys kf Enter && wait_for kf "face detail" && wait_gone kf "Loading the photo" &&
	save kf 9-detail &&
	kf detail wedding sample1.jpg --json >detail.json &&
	test "$(grep -c "conf [0-9]" screens/9-detail)" = "$(jq ".faces | length" detail.json)" &&
	for name in $(jq -r ".faces[].matches[].clientName" detail.json); do
		test_grep screens/9-detail "$name" || return 1
	done &&
	grep -E ">0 +conf" screens/9-detail
'

test_expect_success 'arrows select another face' '
	keys kf Down && wait_match kf ">1 +conf" 5
'

test_expect_success 'o opens the photo file with xdg-open' '
	keys kf o && wait_for kf "opened '\''" &&
	test "$(cat opened)" = "$TRASH/g/sample1.jpg"
'

test_expect_success 'a resize to 60x20 and back re-lays the screen' '
	tm resize-window -t kf -x 60 -y 20 && sleep 0.5 && save kf 10-small &&
	test_grep screens/10-small "kingface" && test "$(wc -l <screens/10-small)" -le 20 &&
	tm resize-window -t kf -x 100 -y 30 && wait_for kf "face detail" &&
	! test -f kf.exit
'

test_expect_success 'q goes back to the galleries' '
	keys kf q && wait_for kf "SIMILARITY" && keys kf q && wait_for kf "1 Clients" &&
	keys kf q && wait_for kf "Galleries (1)"
'

test_expect_success 'f lists the client'\''s reference faces, d removes one and the gallery is matched again' '
	keys kf Enter && wait_for kf "1 Clients" && keys kf f && wait_for kf "Ana │ 1 reference face" &&
	save kf 10-references && grep -E "^ +[0-9]+ +0\.[0-9]+  .*/g/sample1\.jpg$" screens/10-references &&
	keys kf d && wait_for kf "Remove reference" && keys kf y &&
	wait_for kf "removed reference" && wait_for kf "re-matched" &&
	test "$(kf client faces wedding Ana --json | jq ".faces | length")" = 0 &&
	test "$(kf status wedding --json | jq .matches)" = 0 &&
	keys kf q && wait_match kf "Ana +0 +0" &&
	kf enroll wedding Ana g/sample1.jpg --face 0 >/dev/null && wait_match kf "Ana +1 +[1-9]" &&
	keys kf q && wait_for kf "Galleries (1)"
'

test_expect_success 'i on the Clients tab imports a folder of reference photos after saying what it would do' '
	D="$KF_TEST_DATA/datasets/dev/identities" && mkdir -p refs/Dora &&
	cp "$D/amy/amy1.png" refs/Dora/ && cp "$D/penny/penny1.png" refs/Caio.png && echo text >refs/notes.jpg &&
	keys kf Enter && wait_for kf "1 Clients" && keys kf i && wait_for kf "reference photos of folder:" &&
	keys kf -l "refs" && keys kf Enter &&
	wait_match kf "Import .refs.: 3 clients \(3 new\), 3 photos to enroll, 0 already enrolled, 0 not usable\?" &&
	keys kf y && wait_for kf "2 photos enrolled for 2 clients (2 new), 0 already, 1 failed" 120 &&
	wait_match kf "Dora +1 +" && wait_match kf "Caio +1 +" &&
	kf client list wedding --json | jq -e "[.clients[] | select(.name == \"Caio\" or .name == \"Dora\") | .faces] == [1, 1]" &&
	kf client remove wedding Caio --yes >/dev/null && kf client remove wedding Dora --yes >/dev/null &&
	wait_gone kf "Dora" 5 && keys kf q && wait_for kf "Galleries (1)"
'

test_expect_success 'i imports a folder as a gallery, and again to see what changed; n renames it' '
	mkdir x2 && cp g/sample1.jpg x2/ && echo text >x2/notes.jpg &&
	keys kf i && wait_for kf "folder:" && keys kf -l "x2" && keys kf Enter &&
	wait_for kf "created '\''x2'\'': 2 added, 0 changed, 0 unchanged, 1 not images" &&
	wait_for kf "Galleries (2)" && save kf 10-imported &&
	grep -E "^ x2 +2 +0 +0/1 " screens/10-imported &&
	kf gallery show x2 --json | jq -e ".photos == 2 and .failed == 1" &&
	rm x2/notes.jpg && keys kf i && wait_for kf "folder:" && keys kf -l "x2" && keys kf Enter &&
	wait_for kf "updated '\''x2'\'': 0 added, 0 changed, 1 unchanged, 1 gone from the folder" &&
	keys kf n && wait_for kf "Rename the gallery to: x2" && keys kf -l "y" && keys kf Enter &&
	wait_for kf "renamed the gallery to '\''x2y'\''" && kf gallery show x2y >/dev/null
'

test_expect_success 'q quits cleanly' '
	keys kf q && ended_ok kf
'

CONSOLE_ENV=NO_COLOR=1 console ro 80x24 --readonly

test_expect_success '--readonly refuses a delete (80x24)' '
	wait_for ro "read-only" && keys ro Enter && wait_for ro "Ana" && keys ro d &&
	wait_for ro "read-only console" && save ro 11-readonly &&
	test_grep screens/11-readonly "is disabled" &&
	test_grep screens/11-readonly "detector yunet" &&
	test_grep screens/11-readonly "unknown faces)" &&
	test "$(kf client list wedding --json | jq ".clients | length")" = 1
'

test_expect_success 'a change made by another process shows without a key' '
	kf client add wedding Bia >/dev/null && wait_for ro "Bia" 5 &&
	grep -E "^ *[0-9]+ photos: .* 2 clients" <(tm capture-pane -p -t ro)
'

test_expect_success 'the People tab shows another process'\''s change once due, without a key' '
	keys ro 5 && wait_match ro "[0-9]+ unclustered" 10 &&
	n=$(kf people wedding --json | jq .unclustered) &&
	f=$(kf detail wedding sample5.jpg --json |
		jq "[.faces[] | select((.matches | length) == 0 and .recognizable)][0].faceIndex") &&
	kf face confirm wedding sample5.jpg "$f" Bia >/dev/null &&
	wait_match ro " $((n - 1)) unclustered" 20 && keys ro 1 && wait_for ro "ENROLLED" 5
'

test_expect_success 'NO_COLOR: the photo in shades of grey, no colour escapes' '
	keys ro Enter && wait_for ro "SIMILARITY" && keys ro Enter && wait_for ro "face detail" && wait_gone ro "Loading the photo" &&
	wait_match ro "[░▒▓█]" 10 &&
	tm capture-pane -p -e -t ro >colors.txt && save ro 12-detail-no-color &&
	{ ! grep "\[[34]8;5;" colors.txt || { echo "colour escapes with NO_COLOR"; false; }; } &&
	grep -q "[░▒▓█]" screens/12-detail-no-color &&
	keys ro Q && ended_ok ro
'

test_expect_code 2 'no command and no terminal: the help, exit 2' 'kf </dev/null'
test_expect_success '--headless runs without a terminal until stdin ends' '
	printf "?xjq" | TERM=xterm kf --headless >/dev/null &&
	TERM=xterm kf --headless </dev/null >/dev/null
'

for f in screens/*; do
	say "# --- screen: ${f#screens/} ---"
	sed 's/^/# /' "$f"
done
test_done
