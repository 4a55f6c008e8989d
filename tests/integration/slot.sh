# slot.sh -- sourced: px_reserve_slot, the port slots that let integration
# tests and benchmarks run side by side.  Slot k (0..99) is held with
# flock on /tmp/pxit-slot-k.lock and owns ports 20000+100k .. +69; a slot
# whose lock is free but some port of which is in use is skipped.
#
# px_reserve_slot: takes a free slot; sets PX_SLOT (k), PX_SLOT_PORT
# (20000+100k) and PX_SLOT_FD (the lock's fd: closing it, or the shell
# exiting, frees the slot).  Returns 1 if none of the 100 is free.
px_reserve_slot() {
    local k n fd p busy
    for ((k = RANDOM % 100, n = 0; n < 100; k = (k + 1) % 100, n++)); do
        exec {fd}>"/tmp/pxit-slot-$k.lock"
        if flock -n "$fd"; then
            busy=0
            for ((p = 20000 + 100 * k; p < 20070 + 100 * k; p++)); do
                if ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then busy=1; break; fi
            done
            if [ "$busy" -eq 0 ]; then
                PX_SLOT=$k PX_SLOT_PORT=$((20000 + 100 * k)) PX_SLOT_FD=$fd
                return 0
            fi
        fi
        exec {fd}>&-
    done
    return 1
}
