# soak.gp -- the plots of a bench/soak.sh run:
#   gnuplot -e "dir='OUT'" bench/soak.gp
# reads OUT/samples.tsv (one row per sample, named columns) and OUT/kills.tsv
# (one row per kill -9), writes OUT/rss.png, OUT/disk.png, OUT/throughput.png.
# Grey vertical lines mark the kills.
if (!exists("dir")) dir = "."
samples = dir . "/samples.tsv"
kills = dir . "/kills.tsv"

set terminal pngcairo size 1280,720 font "sans,10"
set datafile separator "\t"
set datafile columnheaders
set datafile missing "NaN"
set grid
set key outside right top
set xlabel "seconds since the first append"

roles = "node acceptor proposer learner gateway"
# a colour per role, a dash pattern per node
rolecolor(r) = r == 1 ? "#000000" : r == 2 ? "#d62728" : r == 3 ? "#1f77b4" : r == 4 ? "#2ca02c" : "#ff7f0e"
MB = 1048576.0
killed(y) = strcol("pid") eq "-" ? NaN : y   # a skipped kill (role not running) is no kill

# ---- RSS: one line per process --------------------------------------------------
set output dir . "/rss.png"
set title "RSS of every process (MB); dashed grey: 16 B x list length, the allowance of a learner or gateway"
set ylabel "MB"
set y2range [0:1]
unset y2tics
plot for [n=1:3] for [r=1:5] samples using "t":(column(sprintf("n%d_%s", n, word(roles, r))) / 1024.0) \
        with lines lw 1.5 dt n lc rgb rolecolor(r) title sprintf("n%d %s", n, word(roles, r)), \
     samples using "t":(16 * column("list_len") / MB) with lines dt 2 lc rgb "#999999" title "16 B x list", \
     kills using 1:(killed(1)) axes x1y2 with impulses lc rgb "#bbbbbb" title "kill -9"

# ---- disk: per node, and the learner snapshot ----------------------------------
set output dir . "/disk.png"
set title "disk per node directory (MB): whole directory (solid), learner.snap + .tmp (dashed), acceptor.log (dotted)"
plot for [n=1:3] samples using "t":(column(sprintf("n%d_disk", n)) / MB) \
        with lines lw 2 lc n title sprintf("n%d dir", n), \
     for [n=1:3] samples using "t":(column(sprintf("n%d_snap", n)) / MB) \
        with lines lw 1.5 dt 2 lc n title sprintf("n%d learner.snap", n), \
     for [n=1:3] samples using "t":(column(sprintf("n%d_acclog", n)) / MB) \
        with lines lw 1 dt 3 lc n title sprintf("n%d acceptor.log", n), \
     kills using 1:(killed(1)) axes x1y2 with impulses lc rgb "#bbbbbb" title "kill -9"

# ---- throughput, and the list length -------------------------------------------
set output dir . "/throughput.png"
set title "acknowledged appends per second (over each sample interval), and the list length"
set ylabel "appends/s"
set y2label "list length (elements)"
set y2tics
set autoscale y2
set yrange [0:*]
plot samples using "t":"thr" with lines lw 1.5 lc rgb "#1f77b4" title "appends/s", \
     samples using "t":"list_len" axes x1y2 with lines lw 1 lc rgb "#2ca02c" title "list length", \
     kills using 1:(killed(column("acked"))) axes x1y2 with impulses lc rgb "#bbbbbb" title "kill -9 (at its acked count)"
