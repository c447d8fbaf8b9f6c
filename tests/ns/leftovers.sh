# shellcheck shell=bash
# leftovers.sh - count what a run of icelab left behind (sourced by
# kill-campaign, rootns-test and fault-test; needs root to read other
# processes' /proc entries).
#
# Attribution: lo_init draws a random ICELAB_LEFTOVER_TAG and makes a
# private TMPDIR; `lo_run CMD...` runs CMD with both in its environment
# (not exported to the caller's own helpers: an awk of the test script is
# not the run's).  Every process a run starts inherits both (icelab passes its
# environment on to the sandbox, its workers, the agents and the services;
# none clears it), so "a process of ours" is one whose /proc/PID/environ
# holds the tag, whatever its name, parent or PID namespace, and other
# jobs' runs on the same machine never count.  Zombies do not count: their
# environ reads empty, and they hold nothing (this machine's PID 1 reaps
# orphans only now and then).  A network namespace lives only while a
# process or an fd holds it (icelab never bind-mounts one; /run/netns is in
# the root snapshot), so the namespaces our processes hold are the
# namespaces our run left; with no other run on the machine, the
# machine-wide count must also be back where it was.

lo_init() {
	ICELAB_LEFTOVER_TAG=$$-$RANDOM$RANDOM
	LO_TMP=$(mktemp -d /tmp/lo-tmp.XXXXXX)
	LO_DEV0=$(lo_devices)
	LO_ROOT_NS=$(readlink /proc/$$/ns/net)
}

# Run CMD... as a process of ours (exec: no shell in between).
lo_run() {
	exec env ICELAB_LEFTOVER_TAG="$ICELAB_LEFTOVER_TAG" TMPDIR="$LO_TMP" "$@"
}

lo_fini() {
	rmdir "$LO_TMP" 2>/dev/null || rm -rf "$LO_TMP"
}

# Our processes, one pid a line.
lo_pids() {
	grep -lzx -F "ICELAB_LEFTOVER_TAG=$ICELAB_LEFTOVER_TAG" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|^/proc/||; s|/environ$||'
}
lo_count_pids() { lo_pids | wc -l; }

# "NAME xN" for our processes, for messages.
lo_describe_pids() {
	local p
	for p in $(lo_pids); do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c |
		awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }'
}

# Network namespaces held by our processes (their own or an open fd), the
# root namespace (ours) aside.
lo_count_ns() {
	local p
	for p in $(lo_pids); do
		readlink "/proc/$p/ns/net" "/proc/$p"/fd/* 2>/dev/null | grep '^net:'
	done | sort -u | grep -vxF "$LO_ROOT_NS" | wc -l
}

# All network namespaces of the machine (distinct /proc/*/ns/net).
lo_count_all_ns() { readlink /proc/[0-9]*/ns/net 2>/dev/null | sort -u | wc -l; }

# veth, tun and tap devices in the root namespace (a node's device that
# escaped would be one of these).
lo_devices() {
	ip -o link show type veth 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//'
	ip tuntap show 2>/dev/null | cut -d: -f1
}
lo_count_devices() {
	comm -13 <(echo "$LO_DEV0" | sort) <(lo_devices | sort) | grep -c .
}

# Entries icelab left in our private TMPDIR.
lo_count_tmp() { find "$LO_TMP" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# Wait up to MS milliseconds for our processes and files to go; prints the
# milliseconds it took.
lo_wait_clean() {
	local ms=$1 t0
	t0=$(date +%s%N)
	while [ $((($(date +%s%N) - t0) / 1000000)) -lt "$ms" ]; do
		[ "$(lo_count_pids)" -eq 0 ] && [ "$(lo_count_tmp)" -eq 0 ] && break
		sleep 0.02
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}

# Host pid of our process whose pid in its innermost PID namespace is
# INNER (what $$ says inside the sandbox); empty if none.
lo_host_pid() {
	local p
	for p in $(lo_pids); do
		awk -v want="$1" '/^NSpid:/ { if ($NF == want) found = 1 } END { exit !found }' \
			"/proc/$p/status" 2>/dev/null && echo "$p" && return
	done
}

# Our non-zombie processes named NAME (comm) whose cmdline matches the
# extended regular expression RE (optional), in a network namespace other
# than the root's.
lo_find() {
	local p
	for p in $(lo_pids); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] || continue
		[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" != "$LO_ROOT_NS" ] || continue
		[ -z "${2:-}" ] || tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -Eq -- "$2" || continue
		echo "$p"
	done
}

# Other icelab processes on the machine (not ours), for the callers that
# refuse to measure next to them.
lo_foreign_icelab() {
	local mine p n=0
	mine=" $(lo_pids | tr '\n' ' ') "
	for p in $(pgrep -x 'icelab|icelab-lite|icelab-full'); do
		case $mine in *" $p "*) ;; *) grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null || n=$((n + 1)) ;; esac
	done
	echo "$n"
}
