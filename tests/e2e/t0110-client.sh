#!/usr/bin/env bash
# client add / list / rename / remove.
. "$(dirname "$0")/lib.sh"

mkdir g && kf gallery import g >/dev/null

test_expect_success 'add clients, with and without an external id' '
	kf client add g "Ana Souza" --external-id 42 >out && test_grep out "added client" &&
	kf client add --json g Bruno >out && test "$(jq -r .name out)" = Bruno &&
	kf client list g --json >out &&
	test "$(jq ".clients | length" out)" = 2 &&
	test "$(jq -r ".clients[0].externalId" out)" = 42 &&
	test "$(jq ".clients[1].externalId" out)" = null &&
	test "$(jq ".clients[0].faces" out)" = 0
'

test_expect_success 'a duplicate name is refused' '
	! kf client add g Bruno 2>err && test_grep err "already has a client named"
'

test_expect_success 'names as typed: spaces around them dropped; blank, tabs, newlines refused' '
	kf client add g "  Carla Dias " >out && test_grep out "added client '\''Carla Dias'\''" &&
	! kf client add g "Carla Dias" 2>err && test_grep err "already has a client named" &&
	test_expect_code_inline 2 kf client add g "   " && test_expect_code_inline 2 kf client add g "" &&
	! kf client add g "$(printf "a\tb")" 2>err && test_grep err "cannot hold a tab" &&
	! kf client rename g "Carla Dias" "$(printf "x\ny")" 2>err && test_grep err "newline" &&
	! kf client rename g "Carla Dias" "$(head -c 201 /dev/zero | tr "\0" x)" 2>err &&
	test_grep err "at most 200 bytes" &&
	kf client rename g "Carla Dias" " Carla " >out && test_grep out "to '\''Carla'\''" &&
	kf client remove g Carla --yes >/dev/null
'

test_expect_success 'rename by name and by id' '
	kf client rename g Bruno Beto >out && test_grep out "to '\''Beto'\''" &&
	id=$(kf client list g --json | jq ".clients[] | select(.name==\"Beto\") | .id") &&
	kf client rename g "$id" Bruno && kf client list g --json | jq -e ".clients[] | select(.name==\"Bruno\")"
'

test_expect_success 'remove asks, then says what was removed' '
	! kf client remove g Bruno </dev/null 2>err && test_grep err "--yes" &&
	kf client remove g Bruno --yes >out && test_grep out "enrolled face" &&
	test "$(kf client list g --json | jq ".clients | length")" = 1
'

test_expect_success 'unknown gallery or client is a clear error' '
	! kf client list nope 2>err && test_grep err "no gallery '\''nope'\''" &&
	! kf client rename g Nobody X 2>err && test_grep err "no client '\''Nobody'\''"
'

test_done
