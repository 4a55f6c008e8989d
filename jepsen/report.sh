#!/usr/bin/env bash
# jepsen/report.sh RUN_DIR [BOUND_S] -- turns RUN_DIR/history.edn into the
# artifacts Jepsen writes: history.txt (one op a line, tab-separated),
# timeline.html (one column a process, one bar an operation from invoke to
# completion, the nemesis's own operations in the first column and its
# faults shaded across), latency-raw.png and rate.png (gnuplot; the
# intervals in which a fault was in force shaded and named; with
# recovery.tsv, the recovery after each heal on a second axis, against the
# bound).
set -euo pipefail
RUN=${1:?run dir}
BOUND_S=${2:-5}
H=$RUN/history.edn
[ -f "$H" ] || { echo "report: no $H" >&2; exit 1; }

# One op per line -> "process type f time value" with the value last (it
# may contain spaces).  Values longer than 80 characters are shortened.
awk '
function field(name,   r) {
    if (match($0, ":" name " [^,}]*")) { r = substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 2); return r }
    return ""
}
{
    v = ""
    if (match($0, ":value (\\[[^]]*\\]|\\{[^}]*\\}|\"[^\"]*\"|[^,}]*)")) v = substr($0, RSTART + 7, RLENGTH - 7)
    if (length(v) > 80) v = substr(v, 1, 36) " ... " substr(v, length(v) - 36)
    printf "%s\t%s\t%s\t%s\t%s\n", field("process"), field("type"), field("f"), field("time"), v
}' "$H" >"$RUN/ops.tsv"

cut -f1,2,3,5 "$RUN/ops.tsv" >"$RUN/history.txt"

# Pair each completion with its invocation (per process) ->
# "start_s latency_ms type f process value".
awk -F'\t' '
$1 == ":nemesis" { next }
$2 == ":invoke" { t[$1] = $4; next }
($1 in t) { printf "%.6f\t%.3f\t%s\t%s\t%s\t%s\n", t[$1] / 1e9, ($4 - t[$1]) / 1e6, $2, $3, $1, $5; delete t[$1] }
' "$RUN/ops.tsv" >"$RUN/latency.tsv"

# Operations per second, by f and outcome.
awk -F'\t' '{ b = int($1); k = $4 " " $3; c[b, k]++; keys[k] = 1; if (b > max) max = b }
END {
    n = 0; for (k in keys) names[++n] = k
    printf "second"; for (i = 1; i <= n; i++) printf "\t%s", names[i]; printf "\n"
    for (s = 0; s <= max; s++) { printf "%d", s; for (i = 1; i <= n; i++) printf "\t%d", c[s, names[i]] + 0; printf "\n" }
}' "$RUN/latency.tsv" >"$RUN/rate.tsv"

# Nemesis intervals -> "start_s stop_s kind what": from the invoke of a
# step that starts a fault to the completion of the step that ends it.
# Each step is two :info lines with one :f (the invoke, whose value is the
# kind, then the completion, whose value says what it did); :recovery lines
# stand alone.  A fault still in force at the end lasts to the last op.
awk -F'\t' '
BEGIN { split(":start-partition :kill :pause :start-dup :start-failpoint :lose-learner :start-storm :start-forge :start-list-lag", a, " ")
        for (i in a) starts[a[i]] = 1 }
{ last = $4 }
$1 != ":nemesis" || $3 == ":recovery" { next }
!open_step { open_step = 1; inv_t = $4; inv_kind = $5; next }
{
    open_step = 0
    if ($3 in starts) {
        if (!active) { active = 1; s = inv_t; kind = inv_kind; what = $5 }
    } else if (active) {
        out(s, $4); active = 0
    }
}
function out(from, to) {
    gsub(/"/, "", kind); gsub(/["\\]/, "", what)
    printf "%.3f\t%.3f\t%s\t%s\n", from / 1e9, to / 1e9, kind, what
}
END { if (active) out(s, last) }
' "$RUN/ops.tsv" >"$RUN/nemesis.tsv"

# The same as gnuplot objects: a translucent band per interval, coloured by
# kind and named at the top; a legend entry per kind that occurred.
nemesis_colour() {
    case $1 in
        partition*|bridge) echo "#f4a261" ;;
        kill | power-cut) echo "#e63946" ;;
        pause) echo "#457b9d" ;;
        dup) echo "#9b5de5" ;;
        failpoint) echo "#7f5539" ;;
        learner-loss) echo "#6a994e" ;;
        election-storm) echo "#f15bb5" ;;
        forge) echo "#00a6a6" ;;
        list-lag) echo "#bc8a00" ;;
        *) echo "#888888" ;;
    esac
}
nemesis_objects=$RUN/nemesis.gp
nemesis_keys=""
: >"$nemesis_objects"
n=0
while IFS=$'\t' read -r from to kind _; do
    n=$((n + 1))
    c=$(nemesis_colour "$kind")
    echo "set object $n rect from $from, graph 0 to $to, graph 1 behind fc rgb \"$c\" fs transparent solid 0.18 noborder" >>"$nemesis_objects"
    echo "set label $((100 + n)) \"$kind\" at $from, graph 0.985 offset 0.3,0 font \",9\" tc rgb \"$c\"" >>"$nemesis_objects"
    case " $nemesis_keys " in *" $kind "*) ;; *) nemesis_keys+=" $kind" ;; esac
done <"$RUN/nemesis.tsv"
# gnuplot shows no key for an object: one empty plot per kind gives it one
nemesis_legend=""
for kind in $nemesis_keys; do
    nemesis_legend+=", NaN with boxes fs transparent solid 0.35 noborder fc rgb \"$(nemesis_colour "$kind")\" title \"nemesis: $kind\""
done

# Recovery after each heal: when (s), how long (s; -1 if some node never
# acknowledged), and the window it had (s).
recovery_plot=""
y2max=$(awk -v b="$BOUND_S" 'BEGIN { print b * 1.25 }')
if [ -s "$RUN/recovery.tsv" ]; then
    awk -F'\t' 'BEGIN { print "heal\trecovery\twindow" } { printf "%s\t%.3f\t%.3f\n", $3, $5 / 1000, $4 / 1000 }' \
        "$RUN/recovery.tsv" >"$RUN/recovery-plot.tsv"
    # room for the bound and for the slowest recovery or open window
    y2max=$(awk -F'\t' -v m="$y2max" 'NR > 1 { v = $2 >= 0 ? $2 : $3; if (v * 1.1 > m) m = v * 1.1 } END { print m }' \
        "$RUN/recovery-plot.tsv")
    recovery_plot=", \"$RUN/recovery-plot.tsv\" using 1:(\$2 >= 0 ? \$2 : 1/0) axes x1y2 with points pt 7 ps 1.3 lc rgb \"#264653\" title \"recovery after heal (s, right axis)\", \"$RUN/recovery-plot.tsv\" using 1:(\$2 < 0 ? \$3 : 1/0) axes x1y2 with points pt 2 ps 2 lw 2 lc rgb \"#e63946\" title \"not recovered in its window\""
fi

if command -v gnuplot >/dev/null; then
    cols=$(head -n 1 "$RUN/rate.tsv" | awk -F'\t' '{print NF}')
    gnuplot <<EOF
set terminal pngcairo size 1000,560 noenhanced
set datafile separator "\t"
load "$nemesis_objects"
set key below horizontal maxrows 2 width 1
set output "$RUN/latency-raw.png"
set title "Latency (raw): each point one operation"
set xlabel "time (s)"; set ylabel "latency (ms)"; set logscale y
plot "< awk -F'\t' '\$3 == \":ok\"' $RUN/latency.tsv" using 1:2 title "ok" with points pt 7 ps 0.4 lc rgb "#2a9d8f", \
     "< awk -F'\t' '\$3 == \":info\"' $RUN/latency.tsv" using 1:2 title "info" with points pt 7 ps 0.6 lc rgb "#e9c46a", \
     "< awk -F'\t' '\$3 == \":fail\"' $RUN/latency.tsv" using 1:2 title "fail" with points pt 7 ps 0.6 lc rgb "#e76f51"$nemesis_legend
set output "$RUN/rate.png"
set title "Throughput (operations per second); recovery after each heal"
unset logscale y; set ylabel "ops/s"; set key autotitle columnhead
set ytics nomirror; set y2tics; set y2label "recovery (s)"; set y2range [0:$y2max]
set arrow from graph 0, second $BOUND_S to graph 1, second $BOUND_S nohead dt 2 lc rgb "#e63946"
set label "recovery bound" at graph 0.01, second $BOUND_S offset 0,0.6 tc rgb "#e63946"
plot for [i=2:$cols] "$RUN/rate.tsv" using 1:i with lines lw 2$recovery_plot$nemesis_legend
EOF
fi

# timeline.html: absolutely positioned bars, 1 px per 20 ms.  The first
# column is the nemesis: each of its steps a bar from invoke to completion
# (what it did on hover and as text), each recovery measurement a mark;
# every interval in which a fault was in force is a band across all
# columns, named at its top.
awk -F'\t' '
BEGIN {
    print "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>timeline</title><style>"
    print "body{font:12px sans-serif} .op{position:absolute;width:120px;overflow:hidden;border-radius:2px;padding:1px;font-size:10px;opacity:.85}"
    print ".ok{background:#8fd18f} .info{background:#f2d57a} .fail{background:#f08a7a}"
    print ".nem{background:#b8b8d8;white-space:normal} .nemfail{background:#e63946;color:#fff} .rec{background:#264653;color:#fff;white-space:nowrap}"
    print ".band{position:absolute;left:0;right:0;background:rgba(244,162,97,.16);border-top:1px solid #f4a261;border-bottom:1px solid #f4a261}"
    print ".bandlbl{position:absolute;left:248px;z-index:2;font-size:10px;color:#a04f14;background:rgba(255,255,255,.85);padding:0 3px}"
    print ".hdr{position:absolute;top:0;width:120px;font-weight:bold}</style></head><body>"
    print "<p>One column per process; a bar spans an operation from invoke to completion (1 px = 20 ms). Green ok, yellow info, red fail."
    print " The first column is the nemesis: each step from invoke to completion (hover for what it did), dark marks the recovery measured after a heal;"
    print " orange bands span the intervals in which a fault was in force.</p><div style=\"position:relative\">"
    printf "<div class=\"hdr\" style=\"left:0;width:240px\">nemesis (steps; recoveries)</div>\n"
    ncol = 0
}
function unq(v) { gsub(/^"|"$/, "", v); return v }
function esc(v) { gsub(/&/, "\\&amp;", v); gsub(/</, "\\&lt;", v); gsub(/"/, "\\&quot;", v); return v }
function col(p) { if (!(p in cols)) { cols[p] = ncol++; printf "<div class=\"hdr\" style=\"left:%dpx\">%s</div>\n", 248 + cols[p] * 124, p } return cols[p] }
FNR == NR {
    printf "<div class=\"band\" style=\"top:%dpx;height:%dpx\"></div>\n", 20 + $1 * 50, ($2 - $1) * 50
    printf "<div class=\"bandlbl\" style=\"top:%dpx\">%s in force: %s</div>\n", 21 + $1 * 50, esc($3), esc($4)
    next
}
$1 == ":nemesis" && $3 == ":recovery" {
    printf "<div class=\"op rec\" style=\"left:124px;top:%dpx;height:12px\" title=\"%s\">recovery %s</div>\n", 20 + $4 / 2e7, esc($5), esc(substr($5, 1, 60)); next
}
$1 == ":nemesis" && !nem_open { nem_open = 1; nem_t = $4; next }
$1 == ":nemesis" {
    nem_open = 0; h = ($4 - nem_t) / 2e7; if (h < 12) h = 12; $5 = unq($5)
    cls = ($5 ~ /^error:/) ? "nemfail" : "nem"
    printf "<div class=\"op %s\" style=\"left:0;top:%dpx;height:%dpx\" title=\"%s %s (%.0f ms)\">%s %s</div>\n", cls, 20 + nem_t / 2e7, h, $3, esc($5), ($4 - nem_t) / 1e6, substr($3, 2), esc(substr($5, 1, 60))
    next
}
$2 == ":invoke" { st[$1] = $4; sv[$1] = $5; next }
($1 in st) {
    c = col($1); top = 20 + st[$1] / 2e7; h = ($4 - st[$1]) / 2e7; if (h < 2) h = 2
    cls = substr($2, 2); val = (cls == "ok" && $3 == ":append") ? sv[$1] : $5
    val = esc(val)
    printf "<div class=\"op %s\" style=\"left:%dpx;top:%dpx;height:%dpx\" title=\"%s %s %s %s (%.1f ms)\">%s %s</div>\n", cls, 248 + c * 124, top, h, $1, $2, $3, val, ($4 - st[$1]) / 1e6, substr($3, 2), substr(val, 1, 14)
    delete st[$1]
}
END { print "</div></body></html>" }
' "$RUN/nemesis.tsv" "$RUN/ops.tsv" >"$RUN/timeline.html"

rm -f "$RUN/ops.tsv"
