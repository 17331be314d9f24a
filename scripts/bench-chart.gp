# SPDX-License-Identifier: GPL-2.0
#
# Chart of goalloc / kmalloc (and goalloc cache / kmem_cache) per object
# size and test, from the data file
# scripts/bench-report.py writes. Run by scripts/bench.sh:
#   gnuplot -e "data='results/bench-chart.dat'; out='results/bench.png'" \
#           scripts/bench-chart.gp
# Columns of the data file: size, then icount batch_alloc, batch_free,
# pair, then multi-CPU concurrent, remote, prodcons, then the caches' icount
# cache_pair and cache_bulk16 and multi-CPU cache_concurrent (NaN when not
# run; CHART_COLUMNS in scripts/bench-report.py).

if (!exists("data")) data = 'results/bench-chart.dat'
if (!exists("out")) out = 'results/bench.png'
if (!exists("subtitle")) subtitle = ''

set terminal pngcairo size 1100,650 enhanced font 'DejaVu Sans,10'
set output out
set datafile missing 'NaN'

set title "goalloc / kmalloc, goalloc cache / kmem\\_cache (below 1: goalloc is cheaper)\n{/*0.8 ".subtitle."}"
set logscale x 2
set xrange [6:350000]
set xtics ("8" 8, "16" 16, "32" 32, "64" 64, "128" 128, "256" 256, \
	"512" 512, "1K" 1024, "2K" 2048, "4K" 4096, "8K" 8192, "16K" 16384, \
	"32K" 32768, "64K" 65536, "256K" 262144)
set xlabel 'object size (bytes)'
set logscale y 2
set yrange [0.1:8]
set ytics ("0.1" 0.1, "0.2" 0.2, "0.35" 0.35, "0.5" 0.5, "0.6" 0.6, \
	"0.8" 0.8, "1" 1, "2" 2, "4" 4, "8" 8)
set ylabel 'ratio goalloc / kmalloc or kmem\_cache (log scale)'
set grid xtics ytics lc rgb '#dddddd'
set key outside right top box
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb '#888888'

plot data using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'icount batch alloc', \
     data using 1:3 with linespoints lw 2 pt 5 lc rgb '#17becf' title 'icount batch free', \
     data using 1:4 with linespoints lw 2 pt 9 lc rgb '#2ca02c' title 'icount pair', \
     data using 1:5 with linespoints lw 2 dt 2 pt 6 lc rgb '#d62728' title 'multi-CPU concurrent', \
     data using 1:6 with linespoints lw 2 dt 2 pt 4 lc rgb '#ff7f0e' title 'multi-CPU remote free', \
     data using 1:7 with linespoints lw 2 dt 2 pt 8 lc rgb '#9467bd' title 'multi-CPU prodcons', \
     data using 1:8 with linespoints lw 1 dt 3 pt 9 lc rgb '#2ca02c' title 'cache icount pair', \
     data using 1:9 with linespoints lw 1 dt 3 pt 3 lc rgb '#8c564b' title 'cache icount bulk 16', \
     data using 1:10 with linespoints lw 1 dt 3 pt 6 lc rgb '#d62728' title 'cache multi-CPU concurrent'
