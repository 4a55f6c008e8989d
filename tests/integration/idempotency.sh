#!/usr/bin/env bash
# Retries with the same Idempotency-Key are applied once and answer with the
# original index; a new key appends again.
source "$(dirname "$0")/lib.sh"
it_begin idempotency
it_start_cluster

it_append 1 777 -H 'Idempotency-Key: it-key-1'
[ "$HTTP_CODE" = 200 ] || { fail idempotency "first append: $HTTP_CODE $HTTP_BODY"; exit 1; }
first=$(jq -r .index <<<"$HTTP_BODY")

# Retries: sequential, through other gateways, and concurrent.
idx=()
for n in 1 2 3; do
    it_append "$n" 777 -H 'Idempotency-Key: it-key-1'
    idx+=("$HTTP_CODE:$(jq -r .index <<<"$HTTP_BODY" 2>/dev/null)")
done
for n in 1 2 3; do
    (it_append "$n" 777 -H 'Idempotency-Key: it-key-1'; echo "$HTTP_CODE:$(jq -r .index <<<"$HTTP_BODY" 2>/dev/null)") >"$IT_DIR/retry.$n" &
done
wait
for n in 1 2 3; do idx+=("$(cat "$IT_DIR/retry.$n")"); done
bad=0
for r in "${idx[@]}"; do [ "$r" = "200:$first" ] || bad=1; done
[ "$bad" -eq 0 ] && pass idempotency-same-index ||
    fail idempotency-same-index "first index $first, retries answered ${idx[*]}"

it_append 2 777 -H 'Idempotency-Key: it-key-2'
[ "$HTTP_CODE" = 200 ] || fail idempotency "second key: $HTTP_CODE"

count=$(it_list 3 | grep -cx 777 || true)
[ "$count" -eq 2 ] && pass idempotency-applied-once ||
    fail idempotency-applied-once "777 appears $count times, want 2 (one per key)"
