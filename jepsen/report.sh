#!/usr/bin/env bash
# jepsen/report.sh RUN_DIR [BOUND_S] -- turns RUN_DIR/history.edn into the
# artifacts Jepsen writes: history.txt (one op a line, tab-separated),
# timeline.html (one column a process, one bar an operation from invoke to
# completion), latency-raw.png and rate.png (gnuplot; with recovery.tsv,
# the recovery after each heal on a second axis, against the bound).
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

# Nemesis windows, for shading the plots.
awk -F'\t' '$1 == ":nemesis" && $2 == ":info" { n[$3]++; if (n[$3] % 2 == 0) print $3 "\t" $4 / 1e9 }' \
    "$RUN/ops.tsv" >"$RUN/nemesis.tsv"

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
set terminal pngcairo size 1000,500 noenhanced
set datafile separator "\t"
set output "$RUN/latency-raw.png"
set title "Latency (raw): each point one operation"
set xlabel "time (s)"; set ylabel "latency (ms)"; set logscale y
plot "< awk -F'\t' '\$3 == \":ok\"' $RUN/latency.tsv" using 1:2 title "ok" with points pt 7 ps 0.4 lc rgb "#2a9d8f", \
     "< awk -F'\t' '\$3 == \":info\"' $RUN/latency.tsv" using 1:2 title "info" with points pt 7 ps 0.6 lc rgb "#e9c46a", \
     "< awk -F'\t' '\$3 == \":fail\"' $RUN/latency.tsv" using 1:2 title "fail" with points pt 7 ps 0.6 lc rgb "#e76f51"
set output "$RUN/rate.png"
set title "Throughput (operations per second); recovery after each heal"
unset logscale y; set ylabel "ops/s"; set key autotitle columnhead
set ytics nomirror; set y2tics; set y2label "recovery (s)"; set y2range [0:$y2max]
set arrow from graph 0, second $BOUND_S to graph 1, second $BOUND_S nohead dt 2 lc rgb "#e63946"
set label "recovery bound" at graph 0.01, second $BOUND_S offset 0,0.6 tc rgb "#e63946"
plot for [i=2:$cols] "$RUN/rate.tsv" using 1:i with lines lw 2$recovery_plot
EOF
fi

# timeline.html: absolutely positioned bars, 1 px per 20 ms.
awk -F'\t' '
BEGIN {
    print "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>timeline</title><style>"
    print "body{font:12px sans-serif} .op{position:absolute;width:120px;overflow:hidden;border-radius:2px;padding:1px;font-size:10px;opacity:.85}"
    print ".ok{background:#8fd18f} .info{background:#f2d57a} .fail{background:#f08a7a} .nemesis{background:#bbb;width:100%;left:0;height:1px;opacity:.6}"
    print ".hdr{position:absolute;top:0;width:120px;font-weight:bold}</style></head><body>"
    print "<p>One column per process; a bar spans an operation from invoke to completion (1 px = 20 ms). Green ok, yellow info, red fail; grey lines mark nemesis events.</p><div style=\"position:relative\">"
}
function col(p) { if (!(p in cols)) { cols[p] = ncol++; printf "<div class=\"hdr\" style=\"left:%dpx\">%s</div>\n", cols[p] * 124, p } return cols[p] }
$1 == ":nemesis" { printf "<div class=\"op nemesis\" style=\"top:%dpx\" title=\"%s %s\"></div>\n", 20 + $4 / 2e7, $3, $5; next }
$2 == ":invoke" { st[$1] = $4; sv[$1] = $5; next }
($1 in st) {
    c = col($1); top = 20 + st[$1] / 2e7; h = ($4 - st[$1]) / 2e7; if (h < 2) h = 2
    cls = substr($2, 2); val = (cls == "ok" && $3 == ":append") ? sv[$1] : $5
    gsub(/&/, "\\&amp;", val); gsub(/</, "\\&lt;", val)
    printf "<div class=\"op %s\" style=\"left:%dpx;top:%dpx;height:%dpx\" title=\"%s %s %s %s (%.1f ms)\">%s %s</div>\n", cls, c * 124, top, h, $1, $2, $3, val, ($4 - st[$1]) / 1e6, substr($3, 2), substr(val, 1, 14)
    delete st[$1]
}
END { print "</div></body></html>" }
' "$RUN/ops.tsv" >"$RUN/timeline.html"

rm -f "$RUN/ops.tsv"
