#!/usr/bin/env bash
# make bench: repaird and redis-server side by side on loopback, in the same run.
#  1. TICKET.OPEN vs HSET (a hash of the same fields), fsync always vs appendfsync always
#  2. TICKET.GET vs HGETALL: of one ticket (redis-benchmark), then of every ticket in turn
#     (loadgen, below)
#     each with 50 clients, without pipelining and with -P 16; prints throughput, p50 and
#     p99 latency of both, and the throughput ratio. The hash holds the same fields and
#     values as a real TICKET.GET reply (taken from the daemon, empty values included).
#  3. TICKET.MOVE vs HSET of the fields a move changes (tests/bench/loadgen.c: valid ticket ids, which redis-benchmark
#     cannot produce), the same way
#  4. 1,000,000 tickets: resident memory per ticket, and the restart (journal replay) time
#  5. 200,000 deadlines falling due at once (--debug-clock): the worst PING latency of
#     another client while they are processed in slices (printed, not asserted)
# 1-3 run with the configuration's Redis events (redis away: nothing listens on its port),
# then again with every event type kept for Redis, once with a Redis that takes them (up)
# and once with none (away: every event waits in the outbox). 4 runs with the
# configuration, then with every event waiting (BENCH_LOAD_AWAY=0 skips that; BENCH_TICKETS=0
# skips 4). BENCH_QUICK=1 runs only 1-3 with the configured events (for iteration).
# Absolute numbers on a shared machine are noise; the ratios are the point.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPAIRD=${REPAIRD_BIN:-build/repaird}
N=${BENCH_REQUESTS:-100000}
LOAD=${BENCH_TICKETS:-1000000}
tmp=$(mktemp -d /tmp/repaird-bench-XXXXXX)
pids=()
# Only our own jobs still running: a pid of ours that already exited may belong to
# someone else by now (pids wrap quickly on a busy machine).
cleanup() { for p in $(jobs -pr); do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_ping() { for _ in $(seq 1 600); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no PING on $1" >&2; return 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

all_events="[ticket.opened, ticket.received, ticket.state, ticket.at_risk, ticket.breached, ticket.ready, ticket.closed, ticket.promoted, loan.eligible, loan.issued, loan.returned]"
start_repaird() { # fsync policy, state dir, port[, redis port, events]
	local conf="$tmp/repaird-$1-$3.yaml"
	sed -e "s/^  fsync: .*/  fsync: $1/" conf/repaird.yaml > "$conf"
	sed -i "s|^products: products.yaml|products: $PWD/conf/products.yaml|" "$conf"
	sed -i "s/^  tcp_auth: on .*/  tcp_auth: off/" "$conf" # loopback only
	# Its own metrics port: a fixed one may be taken on a shared machine.
	sed -i "/^metrics:/,/^[a-z]/ s/^  listen: .*/  listen: \"127.0.0.1:$(free_port)\"/" "$conf"
	sed -i "/^redis:/,/^[a-z]/ s/^  port: .*/  port: ${4:-$(free_port)}/" "$conf"
	if [ -n "${5:-}" ]; then sed -i "s/^  events: \[.*/  events: $5/" "$conf"; fi
	"$REPAIRD" --config "$conf" --listen "127.0.0.1:$3" --unix "" \
		--state-dir "$2" --log-level warning 2>>"$tmp/repaird.log" &
	rpid=$!
	pids+=("$rpid")
	wait_ping "$3"
}
cc -std=c11 -D_GNU_SOURCE -O2 tests/bench/loadgen.c -o "$tmp/loadgen"

sport=$(free_port); eport=$(free_port)
redis-server --port "$sport" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync always \
	--save "" --daemonize no --logfile "$tmp/redis.log" &
spid=$!
pids+=("$spid")
wait_ping "$sport"
# The Redis that takes repaird's events when it is "up": no persistence, its own process.
redis-server --port "$eport" --bind 127.0.0.1 --dir "$tmp" --appendonly no --save "" \
	--daemonize no --logfile "$tmp/redis-events.log" &
pids+=("$!")
wait_ping "$eport"

# One of the products and centres of the production data, a serial that is letters and digits.
open_args=(TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair MEMBER 151335488 REGISTERED yes RECEIVED NOW)

# CPU time a server spent (ns, its main thread: /proc/PID/schedstat), for CPU per request:
# unlike throughput, it hardly depends on what else runs on the machine.
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
# Each prints "<requests/s> <p50 ms> <p99 ms> <server CPU us per request>".
rps() { # server pid, port, pipeline, args...
	local pid=$1 port=$2 p=$3 c0 out; shift 3
	c0=$(cpu_ns "$pid")
	out=$(redis-benchmark -p "$port" -c 50 -n "$N" -P "$p" -r 100000000 --csv "$@" 2>/dev/null)
	echo "$out" | awk -F'","' -v c0="$c0" -v c1="$(cpu_ns "$pid")" -v n="$N" 'NR == 2 {print $2 + 0, $5 + 0, $7 + 0, (c1 - c0) / 1000 / n}'
}
lg() { # server pid, port, pipeline, id range, args...
	local pid=$1 port=$2 p=$3 range=$4 c0 out; shift 4
	c0=$(cpu_ns "$pid")
	out=$("$tmp/loadgen" "$port" 50 "$p" "$N" "$range" "$@")
	echo "$out" | awk -v c0="$c0" -v c1="$(cpu_ns "$pid")" -v n="$N" '{print $1, $3, $4, (c1 - c0) / 1000 / n; if ($2 > 0) print "loadgen: " $2 " error replies" > "/dev/stderr"}'
}
report() { # label, repaird "rps p50 p99 cpu", redis "rps p50 p99 cpu"
	echo "$1 $2 $3" | awk '{l = $1; gsub(/_/, " ", l); printf "%-28s repaird %7.0f/s p50 %5.2f p99 %5.2f ms %5.2f us cpu | redis %7.0f/s p50 %5.2f p99 %5.2f ms %5.2f us cpu | ratio %5.2f\n", l, $2, $3, $4, $5, $6, $7, $8, $9, ($6 > 0 ? $2 / $6 : 0)}'
}
# A ticket's reply as field/value words (redis-cli --raw: one per line, empty values kept).
ticket_fields() { redis-cli -p "$1" --raw TICKET.GET "$2" | tr -d '\r'; }

throughput() { # label, redis port for events ("" = away), events ("" = the configuration's)
	local label=$1 state="$tmp/state-$RANDOM" fields before after hset_open hset_move
	rport=$(free_port)
	start_repaird always "$state" "$rport" "$2" "$3"
	redis-cli -p "$rport" MEMBER.SET 151335488 TIER platinum COUNTRY DE >/dev/null
	# Redis holds what TICKET.GET replies: the same 30 fields and values, as one hash.
	redis-cli -p "$rport" "${open_args[@]/__rand_int__/000000000001}" >/dev/null
	mapfile -t fields < <(ticket_fields "$rport" 1)
	redis-cli -p "$sport" DEL ticket:1 >/dev/null
	redis-cli -p "$sport" HSET ticket:1 "${fields[@]}" >/dev/null
	hset_open=(HSET ticket:__rand_int__ "${fields[@]}")
	# A move's pair sets the fields a move changes (a ticket's reply before and after).
	redis-cli -p "$rport" TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SNMOVE SERVICE repair MEMBER 151335488 REGISTERED yes RECEIVED NOW >/dev/null
	mapfile -t before < <(ticket_fields "$rport" 2)
	redis-cli -p "$rport" TICKET.MOVE 2 awaiting_parts >/dev/null
	mapfile -t after < <(ticket_fields "$rport" 2)
	hset_move=(HSET ticket:__id__)
	for ((i = 0; i < ${#after[@]}; i += 2)); do
		if [ "${before[i+1]}" != "${after[i+1]}" ]; then hset_move+=("${after[i]}" "${after[i+1]}"); fi
	done
	echo "== $label: throughput (50 clients, $N requests; fsync always / appendfsync always)"
	echo "   HSET for OPEN/GET: $(( ${#fields[@]} / 2 )) fields; for MOVE: ${hset_move[*]:2}"
	for p in 1 16; do
		report "TICKET.OPEN_vs_HSET,_-P_$p" "$(rps "$rpid" "$rport" "$p" "${open_args[@]}")" \
			"$(rps "$spid" "$sport" "$p" "${hset_open[@]}")"
	done
	# Every ticket opened above moves, -P 1 to one work state, -P 16 to another; on the
	# Redis side each id has a hash of the same 30 fields first (an update, not a new key).
	tickets=$(redis-cli -p "$rport" INFO tickets | tr -d '\r' | awk -F: '/^tickets_total/ {print $2}')
	"$tmp/loadgen" "$sport" 50 16 "$tickets" "$tickets" HSET ticket:__id__ "${fields[@]}" >/dev/null
	for p in 1 16; do
		to=$([ "$p" = 1 ] && echo in_repair || echo awaiting_parts)
		report "TICKET.MOVE_vs_HSET,_-P_$p" "$(lg "$rpid" "$rport" "$p" "$tickets" TICKET.MOVE __id__ "$to")" \
			"$(lg "$spid" "$sport" "$p" "$tickets" "${hset_move[@]}")"
	done
	for p in 1 16; do
		report "TICKET.GET_vs_HGETALL,_-P_$p" "$(rps "$rpid" "$rport" "$p" TICKET.GET 1)" \
			"$(rps "$spid" "$sport" "$p" HGETALL ticket:1)"
	done
	# The same with every ticket in turn (loadgen: a lighter client than redis-benchmark,
	# which at -P 1 is the slower side and sets the pace of both servers).
	for p in 1 16; do
		report "GET_vs_HGETALL,_each_id,_-P_$p" "$(lg "$rpid" "$rport" "$p" "$tickets" TICKET.GET __id__)" \
			"$(lg "$spid" "$sport" "$p" "$tickets" HGETALL ticket:__id__)"
	done
	redis-cli -p "$rport" INFO events | tr -d '\r' | awk -F: '/^(link|outbox_depth|last_seq):/ {printf "%s %s  ", $1, $2} END {print ""}'
	kill "$rpid"; wait "$rpid" 2>/dev/null || true
}

if [ "${BENCH_QUICK:-0}" != 0 ]; then
	# Quick mode for iteration: one scenario, no million tickets, no deadlines.
	throughput "configured events, redis away" "" ""
	exit 0
fi
throughput "configured events, redis away" "" ""
throughput "every event kept, redis up" "$eport" "$all_events"
throughput "every event kept, redis away" "" "$all_events"

load() { # label, events ("" = the configuration's), redis port for events ("" = away)
	local dir="$tmp/load-$RANDOM" waited=""
	echo "== $LOAD tickets, $1: memory and restart"
	rport=$(free_port)
	start_repaird everysec "$dir" "$rport" "${3:-}" "$2"
	redis-cli -p "$rport" MEMBER.SET 151335488 TIER platinum COUNTRY DE >/dev/null
	base=$(rss_kb "$rpid")
	redis-benchmark -p "$rport" -c 50 -n "$LOAD" -P 64 -r 100000000 -q \
		TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair RECEIVED NOW >/dev/null 2>&1
	total=$(redis-cli -p "$rport" INFO tickets | tr -d '\r' | awk -F: '/^tickets_total/ {print $2}')
	depth=$(redis-cli -p "$rport" INFO events | tr -d '\r' | awk -F: '/^outbox_depth/ {print $2}')
	# A compaction the load started holds what is written meanwhile in a buffer until it
	# switches: a transient, gone a few seconds later. The figure is the settled state.
	for _ in $(seq 300); do
		redis-cli -p "$rport" INFO persistence | tr -d '\r' | grep -q '^compacting:1' || break
		waited=" (after the compaction the load started)"
		sleep 0.1
	done
	rss=$(rss_kb "$rpid")
	awk -v t="$total" -v r="$rss" -v b="$base" -v d="$depth" -v w="$waited" 'BEGIN {printf "tickets %d (%d events waiting), resident %.1f MB (%.1f MB at start): %.0f bytes per ticket%s\n", t, d, r / 1024, b / 1024, (r - b) * 1024 / (t > 0 ? t : 1), w}'
	kill "$rpid"; wait "$rpid" 2>/dev/null || true
	jsize=$(stat -c %s "$dir/journal")
	start=$(date +%s.%N)
	start_repaird everysec "$dir" "$rport" "" "$2"
	end=$(date +%s.%N)
	replay=$(redis-cli -p "$rport" INFO persistence | tr -d '\r' | awk -F: '/^replay_ms/ {print $2}')
	awk -v s="$start" -v e="$end" -v r="$replay" -v j="$jsize" 'BEGIN {printf "restart: journal %.0f MB, replay %d ms, ready (PING answered) after %.2f s\n", j / 1048576, r, e - s}'
	kill "$rpid"; wait "$rpid" 2>/dev/null || true
	rm -rf "$dir"
}

if [ "$LOAD" -gt 0 ]; then load "configured events, redis away" ""; fi
if [ "$LOAD" -gt 0 ]; then load "configured events, redis up" "" "$eport"; fi
if [ "$LOAD" -gt 0 ] && [ "${BENCH_LOAD_AWAY:-1}" != 0 ]; then
	load "every event waiting (redis away)" "$all_events"
fi

echo "== ${DUE:=200000} deadlines falling due in one instant: another client's worst PING"
# A debug clock so that they all fall due together, when DEBUG.CLOCK moves it.
rport=$(free_port)
sed -e "s/^  fsync: .*/  fsync: everysec/" -e "s|^products: products.yaml|products: $PWD/conf/products.yaml|" \
	-e "s/^  tcp_auth: on .*/  tcp_auth: off/" conf/repaird.yaml > "$tmp/repaird-due.yaml"
sed -i "/^metrics:/,/^[a-z]/ s/^  listen: .*/  listen: \"127.0.0.1:$(free_port)\"/" "$tmp/repaird-due.yaml"
"$REPAIRD" --config "$tmp/repaird-due.yaml" --listen "127.0.0.1:$rport" --unix "" \
	--state-dir "$tmp/due" --log-level warning --debug-clock=2026-11-23T08:00:00Z 2>>"$tmp/repaird.log" &
rpid=$!; pids+=("$rpid")
wait_ping "$rport"
redis-benchmark -p "$rport" -c 50 -n "$DUE" -P 64 -r 100000000 -q \
	TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair RECEIVED NOW >/dev/null 2>&1
# One connection moves the clock a month on (every ticket at risk and breached); another
# PINGs until DEBUG.CLOCK answers, which it does once all of it has run.
python3 - "$rport" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
mover = socket.create_connection(("127.0.0.1", port))
pinger = socket.create_connection(("127.0.0.1", port))
mover.setblocking(False)
t0 = time.monotonic()
mover.sendall(b"DEBUG.CLOCK 2026-12-23T08:00:00Z\r\n")
worst, pings = 0.0, 0
while True:
    try:
        if mover.recv(64):
            break
    except BlockingIOError:
        pass
    t = time.monotonic()
    pinger.sendall(b"PING\r\n")
    got = b""
    while not got.endswith(b"\r\n"):
        got += pinger.recv(64)
    worst = max(worst, time.monotonic() - t)
    pings += 1
print("due work done in %.2f s; %d PINGs answered meanwhile, the worst after %.1f ms"
      % (time.monotonic() - t0, pings, worst * 1000))
PY
redis-cli -p "$rport" INFO | tr -d '\r' | grep -E '^(tickets_breached|due_slices):'

# 6. Retention (BENCH_RETENTION=0 skips): with retention.closed_days: 0, rounds of
#    opening and closing 100,000 tickets, a compaction after each; resident memory after
#    each round against the start (target: within 20%; printed, not asserted).
if [ "${BENCH_RETENTION:-1}" != 0 ]; then
	RN=${BENCH_RETENTION_TICKETS:-100000}
	echo "== retention: 4 rounds of $RN tickets opened, closed and archived (closed_days: 0)"
	rport=$(free_port)
	sed -e "s/^  fsync: .*/  fsync: everysec/" -e "s|^products: products.yaml|products: $PWD/conf/products.yaml|" \
		-e "s/^  tcp_auth: on .*/  tcp_auth: off/" -e "s/^  closed_days: .*/  closed_days: 0/" \
		-e "s/^  listen: \"127.0.0.1:9787\".*/  listen: off/" conf/repaird.yaml > "$tmp/repaird-retention.yaml"
	"$REPAIRD" --config "$tmp/repaird-retention.yaml" --listen "127.0.0.1:$rport" --unix "" \
		--state-dir "$tmp/retention" --log-level warning 2>>"$tmp/repaird.log" &
	rpid=$!; pids+=("$rpid")
	wait_ping "$rport"
	start_kb=$(rss_kb "$rpid")
	echo "start: RSS $start_kb kB"
	for round in 1 2 3 4; do
		total() { redis-cli -p "$rport" INFO tickets | tr -d '\r' | awk -F: '/^tickets_total:/ {print $2}'; }
		first=$(( $(total) + 1 ))
		redis-benchmark -p "$rport" -c 50 -n "$RN" -P 64 -r 100000000 -q \
			TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair RECEIVED NOW >/dev/null 2>&1
		peak_kb=$(rss_kb "$rpid")
		last=$(total) # redis-benchmark may send a few more than asked (whole pipelines)
		# Ready, then returned: pipelined, a window of 5,000 requests in flight.
		python3 - "$rport" "$first" "$last" <<'PY'
import socket, sys
port, first, last = (int(a) for a in sys.argv[1:])
s = socket.create_connection(("127.0.0.1", port))
def req(i, state):
    return b"*3\r\n$11\r\nTICKET.MOVE\r\n$%d\r\n%d\r\n$%d\r\n%s\r\n" % (len(str(i)), i, len(state), state)
reqs = [req(i, st) for i in range(first, last + 1) for st in (b"ready", b"returned")]
buf, errors, done = b"", 0, 0
for k in range(0, len(reqs), 5000):
    batch = reqs[k:k + 5000]
    s.sendall(b"".join(batch))
    want = done + len(batch)
    while done < want:
        buf += s.recv(1 << 20)
        # Each reply is an array of fields or an error line; count top-level replies.
        while True:
            if buf.startswith(b"-"):
                end = buf.find(b"\r\n")
                if end < 0: break
                errors += 1; buf = buf[end + 2:]; done += 1
            elif buf.startswith(b"*"):
                head = buf.find(b"\r\n")
                if head < 0: break
                n, pos, ok = int(buf[1:head]), head + 2, True
                for _ in range(n):
                    h = buf.find(b"\r\n", pos)
                    if h < 0: ok = False; break
                    ln = int(buf[pos + 1:h])
                    if ln < 0: pos = h + 2; continue
                    if len(buf) < h + 2 + ln + 2: ok = False; break
                    pos = h + 2 + ln + 2
                if not ok: break
                buf = buf[pos:]; done += 1
            else:
                break
if errors:
    print("moves: %d errors" % errors)
PY
		before=$(redis-cli -p "$rport" INFO persistence | tr -d '\r' | awk -F: '/^compactions:/ {print $2}')
		redis-cli -p "$rport" JOURNAL.COMPACT >/dev/null
		for _ in $(seq 1 600); do
			now=$(redis-cli -p "$rport" INFO persistence | tr -d '\r' | awk -F: '/^compactions:/ {print $2}')
			[ "$now" -gt "$before" ] && break
			sleep 0.1
		done
		kb=$(rss_kb "$rpid")
		mem=$(redis-cli -p "$rport" INFO tickets | tr -d '\r' | awk -F: '/^tickets_in_memory:/ {print $2}')
		jsize=$(stat -c %s "$tmp/retention/journal")
		awk -v r="$round" -v k="$kb" -v s="$start_kb" -v p="$peak_kb" -v m="$mem" -v j="$jsize" 'BEGIN {
			printf "round %d: RSS %d kB after compaction (%+.1f%% vs start; %d kB with the round open), %d tickets in memory, journal %d bytes\n",
				r, k, 100 * (k - s) / s, p, m, j }'
	done
	du -sh "$tmp/retention/archive" | awk '{print "archive: " $1}'
	kill "$rpid"; wait "$rpid" 2>/dev/null || true
fi

# 7. High availability (tests/bench/bench-ha.sh): TICKET.OPEN on an HA leader with sync: on
#    against a single node, and the failover time.
if [ "${BENCH_HA:-1}" != 0 ]; then REPAIRD_BIN="$REPAIRD" tests/bench/bench-ha.sh; fi
