#!/usr/bin/env bash
# The live cluster page (GET / on any gateway), in a real headless browser
# (Debian's chromium, driven over the DevTools protocol by
# tests/tools/browser.py): after its scripts run it shows three nodes with
# their applied slots and one leader; an append through its field reaches
# every node's list; kill -9 of the leader's proposer shows the new leader
# within 3 s; a stuck role and a dead node are marked; nothing is loaded
# from anywhere but the gateway, and no script error happens.
#
#   PAGE_SCREENSHOT=FILE  also write the screenshot there (docs/cluster-page.png)
source "$(dirname "$0")/lib.sh"
it_begin cluster-page

if ! command -v chromium >/dev/null || ! command -v python3 >/dev/null; then
    fail cluster-page "chromium or python3 missing: run scripts/install-deps.sh"
    exit 1
fi
it_start_cluster
for v in 11 12 13 14 15; do
    it_append 1 "$v"
    [ "$HTTP_CODE" = 200 ] || { fail cluster-page "append $v: $HTTP_CODE $HTTP_BODY"; exit 1; }
done

# --- the page itself: HTML, and a policy that allows nothing from elsewhere
hdr=$(curl -s -m 5 -D - -o "$IT_DIR/page.html" "http://$(gw_of 2)/")
if grep -qi '^content-type: text/html' <<<"$hdr" &&
    grep -qi "^content-security-policy: default-src 'none'; connect-src 'self'" <<<"$hdr" &&
    ! grep -Eiq '(src|href)="(https?:)?//' "$IT_DIR/page.html"; then
    pass page-self-contained
else
    fail page-self-contained "headers: $(tr -d '\r' <<<"$hdr" | tr '\n' '|')"
fi

# --- the browser
coproc BR { BROWSER_LOG=$IT_DIR/chromium.log python3 "$IT_ROOT/tests/tools/browser.py"; }
IT_EXTRA_PIDS+=("$BR_PID")
BR_OUT=""
br() {
    echo "$*" >&"${BR[1]}"
    BR_OUT=""
    read -r -t 60 BR_OUT <&"${BR[0]}" || BR_OUT='{"error":"no answer from browser.py"}'
}
# br_ok CMD...: the command's {"value": ...} is truthy
br_ok() { br "$@"; jq -e '.value' <<<"$BR_OUT" >/dev/null 2>&1; }
br_value() { jq -r '.value' <<<"$BR_OUT"; }

br open "http://$(gw_of 2)/"
[ "$(jq -r .ok <<<"$BR_OUT")" = true ] || { fail cluster-page "open: $BR_OUT"; exit 1; }

# What every node applied, settled (nothing else uses the log now).
expect=""
for ((t = 0; t < 50; t++)); do
    a=""
    for i in 1 2 3; do
        a+="$i:$(curl -s -m 2 "http://$(gw_of "$i")/status" | jq -r .applied_upto) "
    done
    [ "$a" = "$expect" ] && break
    expect=$a
    sleep 0.2
done
expect=${expect% }
JS_APPLIED='Array.from(document.querySelectorAll("[data-node]")).map(e => e.dataset.node + ":" + (e.querySelector("[data-field=applied]") || {}).textContent).join(" ")'
if br_ok wait 5000 "document.querySelectorAll('[data-node]').length === 3 && document.querySelectorAll('[data-leader=true]').length === 1 && $JS_APPLIED === '$expect'"; then
    pass page-three-nodes-one-leader
else
    br eval "$JS_APPLIED"
    fail page-three-nodes-one-leader "page shows $(br_value), /status says $expect"
fi
leader=$(it_leader)
br eval 'document.querySelector("[data-leader=true]").dataset.node'
[ "$(br_value)" = "$leader" ] && pass page-leader-is-the-leader ||
    fail page-leader-is-the-leader "page says node $(br_value), /status says $leader"

# --- the append field: through this gateway, into every node's list
br eval 'document.getElementById("append-value").value = "4242"; document.getElementById("append-button").click(); true'
JS_TAILS='Array.from(document.querySelectorAll("[data-field=tail]")).every(e => / 4242$/.test(e.textContent))'
if br_ok wait 4000 "/appended 4242 at index 5/.test(document.getElementById('append-result').textContent) && $JS_TAILS"; then
    pass page-append
else
    br eval 'document.getElementById("append-result").textContent'
    fail page-append "append result: $(br_value)"
fi
[ "$(it_list 3 | tail -n 1)" = 4242 ] && pass page-append-applied || fail page-append-applied "node 3's list: $(it_list 3 | tr '\n' ' ')"

# --- the leader's proposer killed: the new leader within 3 s
old=$(curl -s -m 2 "http://$(gw_of "$leader")/roles/proposer" | jq -r '"\(.ballot.round),\(.ballot.node)"')
t0=$(now_ms)
kill -9 "$(it_role_pid "$leader" proposer)"
br wait 5000 "(() => { const l = document.querySelectorAll('[data-leader=true]'); return l.length === 1 && l[0].dataset.ballot !== '$old' && !document.getElementById('banner').hidden && l[0].dataset.node + '/' + l[0].dataset.ballot; })()"
took=$(($(now_ms) - t0))
shown=$(br_value)
note "old leader node $leader ballot ($old); the page showed $shown ${took} ms after the kill"
new_node=${shown%%/*}
[[ $new_node =~ ^[1-3]$ ]] || new_node=$leader # nothing shown: ask anyone, the check fails anyway
real=$(curl -s -m 2 "http://$(gw_of "$new_node")/roles/proposer" | jq -r '"\(.state) \(.ballot.round),\(.ballot.node)"')
if [ "$shown" != null ] && [ "$took" -le 3000 ] && [ "$real" = "leader ${shown#*/}" ]; then
    pass page-new-leader-within-3s
else
    fail page-new-leader-within-3s "shown '$shown' after $took ms; node ${new_node}'s proposer says '$real'"
fi

# --- a stuck role (its process runs, it does not answer) and a dead node
kill -STOP "$(it_role_pid 3 learner)"
br_ok wait 5000 "document.querySelector('[data-node=\"3\"] [data-role=learner]').dataset.up === 'stuck'" &&
    pass page-stuck-role || fail page-stuck-role "$BR_OUT"
kill -CONT "$(it_role_pid 3 learner)"
it_kill_node 3
br_ok wait 6000 "document.querySelector('[data-node=\"3\"]').dataset.reachable === 'false' && document.querySelectorAll('[data-node]').length === 3" &&
    pass page-dead-node || fail page-dead-node "$BR_OUT"

br shot "$IT_DIR/page.png" 1280 760
bytes=$(jq -r .bytes <<<"$BR_OUT")
[ "${bytes:-0}" -gt 10000 ] && pass page-screenshot || fail page-screenshot "$BR_OUT"
[ -z "${PAGE_SCREENSHOT:-}" ] || cp "$IT_DIR/page.png" "$PAGE_SCREENSHOT"

# --- no script error, no refused load, no request elsewhere
br errors
[ "$(jq -r '.value | length' <<<"$BR_OUT")" = 0 ] && pass page-no-errors ||
    fail page-no-errors "$(jq -c .value <<<"$BR_OUT")"
br quit
