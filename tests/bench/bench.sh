#!/usr/bin/env bash
# make bench: repaird and redis-server side by side on loopback, in the same run.
# Like is compared with like: the Redis hash holds the same 29 fields and values
# as repaird's ticket (taken from TICKET.GET of a real one).
#  1. TICKET.OPEN vs HSET of those 29 fields, fsync always vs appendfsync always
#  2. TICKET.GET vs HGETALL of them
#  3. TICKET.MOVE (a new parts ETA with a note: a journalled change) vs HSET of the
#     fields it changes
#     each with 50 clients, without pipelining (-P 1) and with -P 16; prints
#     throughput, p50 and p99 latency (redis-benchmark --csv) and the ratio
#  4. 1,000,000 tickets: resident memory per ticket, and the restart (journal replay) time
# Absolute numbers on a shared machine are noise; the ratios are the point.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPAIRD=${REPAIRD_BIN:-build/repaird}
N=${BENCH_REQUESTS:-20000}
LOAD=${BENCH_TICKETS:-1000000}
tmp=$(mktemp -d /tmp/repaird-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_ping() { for _ in $(seq 1 200); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no PING on $1" >&2; return 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

start_repaird() { # fsync policy, state dir, port
	sed -e "s/^  fsync: .*/  fsync: $1/" conf/repaird.yaml > "$tmp/repaird-$1.yaml"
	sed -i "s|^products: products.yaml|products: $PWD/conf/products.yaml|" "$tmp/repaird-$1.yaml"
	sed -i "s/^  tcp_auth: on .*/  tcp_auth: off/" "$tmp/repaird-$1.yaml" # loopback only
	"$REPAIRD" --config "$tmp/repaird-$1.yaml" --listen "127.0.0.1:$3" --unix "" \
		--state-dir "$2" --log-level warning 2>>"$tmp/repaird.log" &
	rpid=$!
	pids+=("$rpid")
	wait_ping "$3"
}

rport=$(free_port); sport=$(free_port)
start_repaird always "$tmp/state" "$rport"
redis-server --port "$sport" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync always \
	--save "" --daemonize no --logfile "$tmp/redis.log" &
pids+=("$!")
wait_ping "$sport"

# One of the products and centres of the production data, a serial that is letters and digits.
open_args=(TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair MEMBER 151335488 REGISTERED yes RECEIVED NOW)
redis-cli -p "$rport" MEMBER.SET 151335488 TIER platinum COUNTRY DE >/dev/null
redis-cli -p "$rport" "${open_args[@]//__rand_int__/000001}" >/dev/null
# Ticket 1's fields and values, one a line (empty values are empty lines).
mapfile -t ticket < <(redis-cli -p "$rport" --raw TICKET.GET 1)
[ "${#ticket[@]}" -ge 2 ] || { echo "TICKET.GET 1 returned nothing" >&2; exit 1; }
hset_args=(HSET ticket:__rand_int__ "${ticket[@]}")
redis-cli -p "$sport" HSET ticket:1 "${ticket[@]}" >/dev/null
eta=2026-12-04T12:00:00Z
move_args=(TICKET.MOVE 1 awaiting_parts ETA "$eta" NOTE "part n__rand_int__ ordered")
move_hset_args=(HSET ticket:1 state awaiting_parts eta "$eta" note "part n__rand_int__ ordered")
# Every request must be a change that is made, not an error reply: try one first.
for try in move_args open_args; do
	declare -n try_args=$try
	first=$(redis-cli -p "$rport" "${try_args[@]//__rand_int__/000002}" | head -1)
	[ "$first" = id ] || { echo "bench: ${try_args[*]} is refused: $first" >&2; exit 1; }
done

# port, pipeline, args...: "rps p50 p99" (latencies in ms) from redis-benchmark's CSV line.
bench() {
	local port=$1 p=$2; shift 2
	redis-benchmark -p "$port" -c 50 -n "$N" -P "$p" -r 100000000 --csv "$@" 2>/dev/null |
		awk -F, 'NR == 2 {gsub(/"/, ""); print $(NF-6) + 0, $(NF-3) + 0, $(NF-1) + 0; found = 1}
		         END {if (!found) print "0 0 0"}'
}
report() { # label, "rps p50 p99" of repaird, the same of redis
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
		split(a, x, " "); split(b, y, " ");
		printf "%-32s repaird %8.0f/s p50 %6.3f p99 %6.3f ms   redis %8.0f/s p50 %6.3f p99 %6.3f ms   ratio %5.2f\n",
		       l, x[1], x[2], x[3], y[1], y[2], y[3], (y[1] > 0 ? x[1] / y[1] : 0)}'
}
pair() { # label, repaird args, redis args (as names of arrays)
	local -n ra=$2 sa=$3
	for p in 1 16; do
		report "$1, -P $p" "$(bench "$rport" "$p" "${ra[@]}")" "$(bench "$sport" "$p" "${sa[@]}")"
	done
}

echo "== 50 clients, $N requests each; fsync always / appendfsync always; ${#ticket[@]} hash words"
pair "TICKET.OPEN vs HSET" open_args hset_args
get_args=(TICKET.GET 1)
hgetall_args=(HGETALL ticket:1)
pair "TICKET.GET vs HGETALL" get_args hgetall_args
pair "TICKET.MOVE vs HSET" move_args move_hset_args

echo "== $LOAD tickets: memory and restart"
kill "$rpid"; wait "$rpid" 2>/dev/null || true
rport=$(free_port)
start_repaird everysec "$tmp/load" "$rport"
redis-cli -p "$rport" MEMBER.SET 151335488 TIER platinum COUNTRY DE >/dev/null
base=$(rss_kb "$rpid")
redis-benchmark -p "$rport" -c 50 -n "$LOAD" -P 64 -r 100000000 -q \
	TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair RECEIVED NOW >/dev/null 2>&1
total=$(redis-cli -p "$rport" INFO tickets | tr -d '\r' | awk -F: '/^tickets_total/ {print $2}')
rss=$(rss_kb "$rpid")
awk -v t="$total" -v r="$rss" -v b="$base" 'BEGIN {printf "tickets %d, resident %.1f MB (%.1f MB at start): %.0f bytes per ticket\n", t, r / 1024, b / 1024, (r - b) * 1024 / (t > 0 ? t : 1)}'
kill "$rpid"; wait "$rpid" 2>/dev/null || true
jsize=$(stat -c %s "$tmp/load/journal")
start=$(date +%s.%N)
start_repaird everysec "$tmp/load" "$rport"
end=$(date +%s.%N)
replay=$(redis-cli -p "$rport" INFO persistence | tr -d '\r' | awk -F: '/^replay_ms/ {print $2}')
awk -v s="$start" -v e="$end" -v r="$replay" -v j="$jsize" 'BEGIN {printf "restart: journal %.0f MB, replay %d ms, ready (PING answered) after %.2f s\n", j / 1048576, r, e - s}'
REPAIRD_BIN="$REPAIRD" tests/bench/bench-ha.sh
