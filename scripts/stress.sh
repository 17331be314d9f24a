#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# goalloc's long stress run ("make stress").
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/stress.sh [--debug] [DURATION]
       make stress [STRESS_DURATION=DURATION] [STRESS_DEBUG=1]

Runs goalloc's stress suites (kunit/goalloc_kunit_stress.c) for about
DURATION of stress in all (seconds, or with an m suffix for minutes;
default 10m), in QEMU guests of the test kernel. Each boot first runs the
memory pressure suite (kunit/goalloc_kunit_pressure.c, a few seconds) with
goalloc's default headroom, then applies the boot's headroom settings:
  stress   4 vCPUs, 1 GiB: goalloc_stress (threads on every CPU with random
           sizes and lifetimes, remote frees, hard-IRQ and spinlocked
           GFP_ATOMIC allocations, then the same under CPU hotplug, and
           a thread draining every CPU cache every 50 ms) with
           stress_secs = 1/4 DURATION per case, and goalloc_misuse
  faults   4 vCPUs, 1 GiB: the same with fail_page_alloc failing 25 % of
           the stress threads' page requests (task-filter, min-order 0,
           ignore-gfp-wait N), goalloc without idle headroom
           (headroom_min_kb=0 headroom_percent=0), stress_secs = 1/8
           DURATION per case
  churn    4 vCPUs, 1 GiB: as stress without the draining thread
           (stress_drain_ms=0), stress_secs = 1/8 DURATION per case: how
           often the scavenger drains every CPU cache under steady churn
  debug    with --debug (STRESS_DEBUG=1): the debug kernel (KASAN, lockdep,
           UBSAN, kmemleak), 2 vCPUs, 2 GiB, goalloc debug=1,
           stress_secs = 1/8 DURATION per case (its time comes on top)
Each boot loads goalloc.ko, the pressure and the stress modules, reads
debugfs "verify", unloads them and must print "goalloc: unloaded, 0 pages
still held"; its log must be clean (scripts/qemu-run.sh --help).

The last lines are the summary: operations, objects verified, remote
frees, IRQ allocations, hotplug cycles, faults injected (counted by
fail_page_alloc's "times"), allocations that returned NULL, idle headroom
pages that reclaim took through goalloc's shrinker (pressure suite),
misuse calls refused, corruptions, verify violations, pages held after
unload, then the churn boot's stress seconds and the scavenger's drains of
every CPU cache in them (in all and per minute), KUnit cases, and
"stress: PASS" or "stress: FAIL (why)". Exit
status is non-zero on FAIL. Logs: build/logs/stress/.
USAGE
}

debug=${STRESS_DEBUG:-0}
[[ $debug == 0 || $debug == "" ]] && debug=0 || debug=1
duration=${STRESS_DURATION:-10m}
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--debug) debug=1 ;;
	-*) usage >&2; exit 2 ;;
	*) duration=$1 ;;
	esac
	shift
done
if [[ $duration =~ ^([0-9]+)m$ ]]; then
	secs=$((BASH_REMATCH[1] * 60))
elif [[ $duration =~ ^[0-9]+$ ]]; then
	secs=$duration
else
	usage >&2
	exit 2
fi
((secs >= 8)) || die "DURATION must be at least 8 seconds"

LOGS=$LOG_DIR/stress
rm -rf "$LOGS"
mkdir -p "$LOGS"
start=$SECONDS

"$GOALLOC_ROOT/scripts/deps.sh" >"$LOGS/deps.log" 2>&1 || die "scripts/deps.sh failed ($LOGS/deps.log)"
kernels=(test)
((debug)) && kernels+=(debug)
for k in "${kernels[@]}"; do
	"$GOALLOC_ROOT/scripts/build-kernel.sh" "$k" >"$LOGS/kernel-$k.log" 2>&1 ||
		die "building the $k kernel failed ($LOGS/kernel-$k.log)"
	build_module "stress-$k" "$(kernel_out_dir "$k")" "$LOGS/build-$k.log" ||
		die "module build against the $k kernel: $BUILD_WHY"
done
ensure_kernel_source >>"$LOGS/deps.log" 2>&1 || true

# stress_cmds FILE GOALLOC_PARAMS HEADROOM_PARAMS STRESS_SECS FAULTS
# STRESS_ARGS: the boot's guest commands, from scripts/guest/stress.cmds
# (or stress-faults.cmds when FAULTS is 1); STRESS_ARGS go to the stress
# module (stress.cmds only). HEADROOM_PARAMS (name=value ...)
# are written to goalloc's parameters after the pressure suite, which
# needs the default headroom.
# shellcheck disable=SC2034 # the upper-case locals are read by guest_cmds
stress_cmds() {
	local out=$1 GOALLOC_PARAMS=$2 headroom=$3 STRESS_SECS=$4 faults=$5 STRESS_ARGS=$6
	local HEADROOM_CMDS='' kv tmpl=stress
	for kv in $headroom; do
		HEADROOM_CMDS+="echo ${kv#*=} > /sys/module/goalloc/parameters/${kv%%=*}"$'\n'
	done
	HEADROOM_CMDS=${HEADROOM_CMDS%$'\n'}
	((faults)) && tmpl=stress-faults
	guest_cmds "$GOALLOC_ROOT/scripts/guest/$tmpl.cmds" "$out"
}

fail_why=()
# stress_boot NAME KERNEL SMP MEM GOALLOC_PARAMS HEADROOM_PARAMS STRESS_SECS FAULTS [STRESS_ARGS]
stress_boot() {
	local name=$1 kernel=$2 smp=$3 mem=$4 params=$5 headroom=$6 ssecs=$7 faults=$8 sargs=${9:-}
	local dir=$BUILD_DIR/mod-stress-$kernel rc=0 counts slow=2
	# Two stress cases of ssecs each, plus boot, misuse and slack.
	[[ $kernel == debug ]] && slow=3
	local tmo=$((ssecs * 2 * slow + 300))
	stress_cmds "$LOGS/$name.cmds" "$params" "$headroom" "$ssecs" "$faults" "$sargs"
	echo "boot $name: $kernel kernel, $smp vCPUs, stress_secs=$ssecs per case${sargs:+ $sargs}${params:+, $params}${headroom:+, $headroom}$( ((faults)) && echo ", fail_page_alloc $FAULT_PROBABILITY %")"
	"$GOALLOC_ROOT/scripts/qemu-run.sh" --kernel "$(kernel_out_dir "$kernel")/arch/x86/boot/bzImage" \
		--smp "$smp" --mem "$mem" --timeout "$tmo" --cmds "$LOGS/$name.cmds" \
		--log "$LOGS/$name.log" \
		--modules "$dir/goalloc.ko" "$dir/kunit/goalloc_kunit_pressure.ko" \
		"$dir/kunit/goalloc_kunit_stress.ko" \
		2>"$LOGS/$name.qemu-run" || rc=$?
	echo "  $(tail -n1 "$LOGS/$name.qemu-run")"
	((rc == 0)) || fail_why+=("$name: $(tail -n1 "$LOGS/$name.qemu-run")")
	counts=$(ktap_report "$LOGS/$name.log" "$LOGS/kunit-$name" 2>&1 | head -n1) || true
	echo "  $counts"
	[[ $counts =~ failed=0\ .*suites=3$ ]] || fail_why+=("$name: KUnit $counts")
	grep -aE 'goalloc_(stress|pressure): case=' "$LOGS/$name.log" | sed 's/^\[[ 0-9.]*\] /  /' || true
	if ! grep -aqE "$UNLOAD_LINE" "$LOGS/$name.log"; then
		fail_why+=("$name: no 'goalloc: unloaded' line")
	fi
}

stress_boot stress test 4 1G "" "" $((secs / 4)) 0
# No idle headroom: the scavenger gives chunks back at once, so the heap
# asks the buddy allocator for pages, and meets fail_page_alloc, more often.
stress_boot faults test 4 1G "" "headroom_min_kb=0 headroom_percent=0" $((secs / 8)) 1
# No test thread drains: what the scavenger's paced drains come to under
# steady churn.
stress_boot churn test 4 1G "" "" $((secs / 8)) 0 stress_drain_ms=0
((debug)) && stress_boot debug debug 2 2G debug=1 "" $((secs / 8)) 0

# The summary: figures summed over every boot's key=value lines, and the
# churn boot's scavenger drains.
logs=("$LOGS"/stress.log "$LOGS"/faults.log "$LOGS"/churn.log)
((debug)) && logs+=("$LOGS"/debug.log)
summary=$(awk -v unload="$UNLOAD_LINE" -v churn="$LOGS/churn.log" '
	/goalloc_(stress|pressure): case=/ {
		for (i = 1; i <= NF; i++)
			if (split($i, kv, "=") == 2 && kv[2] ~ /^[0-9]+$/) {
				s[kv[1]] += kv[2]
				if (FILENAME == churn)
					c[kv[1]] += kv[2]
			}
	}
	/@@STRESS-FAULTS injected=/ { split($0, kv, "="); s["faults"] += kv[2] }
	$0 ~ unload {
		for (i = 1; i <= NF; i++) if ($i == "unloaded,") s["held"] += $(i + 1)
	}
	END {
		printf "operations %d\n", s["ops"]
		printf "objects_verified %d\n", s["verified"]
		printf "remote_frees %d\n", s["remote_frees"]
		printf "irq_allocations %d\n", s["irq_allocs"]
		printf "atomic_allocations_under_spinlock %d\n", s["atomic_allocs"]
		printf "cache_allocations %d\n", s["cache_allocs"]
		printf "bulk_objects %d\n", s["bulk_objects"]
		printf "deferred_frees %d\n", s["rcu_frees"]
		printf "hotplug_cycles %d\n", s["hotplug_cycles"]
		printf "faults_injected %d\n", s["faults"]
		printf "allocations_returned_null %d\n", s["null_allocs"]
		printf "chunk_allocations %d\n", s["chunk_allocs"]
		printf "chunk_failures %d\n", s["chunk_failures"]
		printf "headroom_pages_taken_by_reclaim %d\n", s["shrinker_pages"]
		printf "misuse_calls_refused %d\n", s["refused"]
		printf "misuse_calls_invalid %d\n", s["invalid"]
		printf "corruptions %d\n", s["corruptions"]
		printf "verify_violations %d\n", s["verify_violations"]
		printf "pages_held_after_unload %d\n", s["held"]
		printf "churn_stress_seconds %d\n", c["secs"]
		printf "churn_scavenger_drains %d\n", c["scavenger_drains"]
		printf "churn_scavenger_drains_per_minute %.2f\n", c["secs"] ? 60 * c["scavenger_drains"] / c["secs"] : 0
	}' "${logs[@]}")
get() { awk -v k="$1" '$1 == k { print $2 }' <<<"$summary"; }

(($(get corruptions) == 0)) || fail_why+=("$(get corruptions) corruptions")
(($(get verify_violations) == 0)) || fail_why+=("$(get verify_violations) verify violations")
(($(get pages_held_after_unload) == 0)) || fail_why+=("$(get pages_held_after_unload) pages held after unload")
(($(get misuse_calls_refused) == $(get misuse_calls_invalid))) ||
	fail_why+=("$(get misuse_calls_invalid) invalid calls, $(get misuse_calls_refused) refused")
(($(get faults_injected) > 0)) || fail_why+=("no fault injected")

echo
echo "stress summary ($secs s of stress requested, $((SECONDS - start)) s in all, logs in $LOGS):"
column -t <<<"$summary" | sed 's/^/  /'
if ((${#fail_why[@]} == 0)); then
	echo "stress: PASS"
else
	echo "stress: FAIL ($(IFS=';'; echo "${fail_why[*]}"))"
	exit 1
fi
