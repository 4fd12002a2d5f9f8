#!/usr/bin/env bash
# make bench, high availability (issue 18): printed, never asserted.
#  1. TICKET.OPEN, 50 clients, -P 1 and -P 16: a single node (fsync always, events to
#     Redis) against an HA leader with sync: on (each group commit also waits for
#     Redis's reply to the XADD of its batch), first alone, then with a standby
#     following it on the same machine; each with its CPU time per request
#  2. failover: kill -9 of the leader to the first TICKET.OPEN the standby accepts
# Redis runs with appendfsync everysec, as a Redis carrying the journal stream would.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPAIRD=${REPAIRD_BIN:-build/repaird}
N=${BENCH_REQUESTS:-100000}
LEASE=${BENCH_LEASE_MS:-1000}
tmp=$(mktemp -d /tmp/repaird-bench-ha-XXXXXX)
pids=()
# Only our own jobs still running: a pid of ours that already exited may belong to
# someone else by now (pids wrap quickly on a busy machine).
cleanup() { for p in $(jobs -pr); do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_ping() { for _ in $(seq 1 200); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no PING on $1" >&2; return 1; }
ms_now() { date +%s%3N; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp" --appendonly yes \
	--appendfsync everysec --save "" --daemonize no --logfile "$tmp/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
wait_ping "$redis_port"

# name, port, extra YAML (the ha: section or nothing): starts it, sets $rpid
start_node() {
	local cfg="$tmp/$1.yaml"
	sed -e "s|^products: products.yaml|products: $PWD/conf/products.yaml|" \
		-e "s/^  tcp_auth: on .*/  tcp_auth: off/" \
		-e "s/^  port: 6379/  port: $redis_port/" \
		-e "s/^  prefix: repaird .*/  prefix: bench/" conf/repaird.yaml >"$cfg"
	# Its own metrics port: a fixed one may be taken on a shared machine.
	sed -i "/^metrics:/,/^[a-z]/ s/^  listen: .*/  listen: \"127.0.0.1:$(free_port)\"/" "$cfg"
	printf '%s\n' "$3" >>"$cfg"
	"$REPAIRD" --config "$cfg" --listen "127.0.0.1:$2" --unix "" --state-dir "$tmp/$1" \
		--log-level warning 2>>"$tmp/repaird.log" &
	rpid=$!
	pids+=("$rpid")
	wait_ping "$2"
}

open_args=(TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair)
# CPU time of a process's main thread so far, in ns (/proc/PID/schedstat).
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
# port, pipeline, pids...: "<requests/s> <CPU us per request of each pid>"
rps() {
	local port=$1 p=$2 out; shift 2
	local before=() pid i=0
	for pid in "$@"; do before+=("$(cpu_ns "$pid")"); done
	out=$(redis-benchmark -p "$port" -c 50 -n "$N" -P "$p" -r 100000000 --csv "${open_args[@]}" 2>/dev/null |
		awk -F, 'NR == 2 {gsub(/"/, ""); print $(NF-6) + 0; found = 1} END {if (!found) print 0}')
	for pid in "$@"; do
		out="$out $(awk -v a="${before[i]}" -v b="$(cpu_ns "$pid")" -v n="$N" 'BEGIN {printf "%.2f", (b - a) / 1000 / n}')"
		i=$((i + 1))
	done
	echo "$out"
}

single_port=$(free_port)
start_node single "$single_port" ""
single_pid=$rpid
declare -A single
for p in 1 16; do single[$p]=$(rps "$single_port" "$p" "$single_pid"); done
kill "$single_pid"; wait "$single_pid" 2>/dev/null || true

a_port=$(free_port); b_port=$(free_port)
start_node a "$a_port" "ha: {node: bench-a, lease_ms: $LEASE, sync: on}"
a_pid=$rpid
for _ in $(seq 1 100); do
	[ "$(redis-cli -p "$a_port" ROLE | sed -n 2p)" = leader ] && break
	sleep 0.05
done
echo "== TICKET.OPEN, 50 clients, $N requests; fsync always; HA leader with sync: on"
echo "   (requests/s, and CPU us per request of each process; Redis: appendfsync everysec)"
for p in 1 16; do
	ha=$(rps "$a_port" "$p" "$a_pid" "$redis_pid")
	echo "${single[$p]} $ha" | awk -v p="$p" '{
		printf "-P %-2d  single %7.0f/s (%.2f us)   HA leader alone %7.0f/s (leader %.2f, redis %.2f us)   ratio %5.2f\n", p, $1, $2, $3, $4, $5, ($1 > 0 ? $3 / $1 : 0)}'
done
# A standby on the same two cores applies every batch and fdatasyncs its own journal:
# on separate machines (as deployed) its work takes nothing from the leader's.
start_node b "$b_port" "ha: {node: bench-b, lease_ms: $LEASE, sync: on}"
b_pid=$rpid
for p in 1 16; do
	ha=$(rps "$a_port" "$p" "$a_pid" "$redis_pid" "$b_pid")
	echo "${single[$p]} $ha" | awk -v p="$p" '{
		printf "-P %-2d  single %7.0f/s (%.2f us)   HA leader + standby %7.0f/s (leader %.2f, redis %.2f, standby %.2f us)   ratio %5.2f\n", p, $1, $2, $3, $4, $5, $6, ($1 > 0 ? $3 / $1 : 0)}'
done
lag=$(redis-cli -p "$b_port" INFO replication | tr -d '\r' | awk -F: '/^lag/ {print $2}')
echo "standby lag right after the run: $lag records"

kill -9 "$a_pid"
t0=$(ms_now)
until [ "$(redis-cli -p "$b_port" TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL FAILOVER1 SERVICE repair 2>/dev/null | head -1)" = id ]; do
	sleep 0.01
	[ $(($(ms_now) - t0)) -lt 30000 ] || { echo "no failover within 30 s" >&2; exit 1; }
done
echo "failover (lease_ms $LEASE): kill -9 of the leader to the first write the new leader accepted: $(($(ms_now) - t0)) ms"
