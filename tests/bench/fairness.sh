#!/usr/bin/env bash
# make bench, fairness part: no client can starve the others (issue "Trust under failure").
#  1. 16 clients pipeline TICKET.LIST ALL COUNT 10000 and never read: the daemon's
#     resident memory before and at its peak, and another client's worst PING latency
#     meanwhile (target: under 200 MB more, under 50 ms).
#  2. 2,000 slow connections sending one byte a second: how many are still connected
#     after the request deadline, and whether the unix socket still takes an admin.
# Printed, never asserted: these machines are shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPAIRD=${REPAIRD_BIN:-build/repaird}
TICKETS=${FAIR_TICKETS:-10000}
tmp=$(mktemp -d /tmp/repaird-fair-XXXXXX)
pids=()
# Only our own jobs still running: a pid of ours that already exited may belong to
# someone else by now (pids wrap quickly on a busy machine).
cleanup() { [ -n "${KEEP:-}" ] && { echo "kept $tmp"; return; }; for p in $(jobs -pr); do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_ping() { for _ in $(seq 1 200); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no PING on $1" >&2; return 1; }

port=$(free_port)
sed -e "s/^  fsync: .*/  fsync: everysec/" -e "s|^products: products.yaml|products: $PWD/conf/products.yaml|" \
	-e "s/^  tcp_auth: on .*/  tcp_auth: off/" -e "s/^  request_timeout_ms: .*/  request_timeout_ms: 3000/" \
	-e "s/^  per_address: .*/  per_address: 4096/" -e "s/^  listen: \"127.0.0.1:9787\".*/  listen: off/" \
	conf/repaird.yaml > "$tmp/repaird.yaml"
"$REPAIRD" --config "$tmp/repaird.yaml" --listen "127.0.0.1:$port" --unix "$tmp/repaird.sock" \
	--state-dir "$tmp/state" --log-level warning 2>>"$tmp/repaird.log" &
rpid=$!; pids+=("$rpid")
wait_ping "$port"
redis-benchmark -p "$port" -c 50 -n "$TICKETS" -P 64 -r 100000000 -q \
	TICKET.OPEN CENTRE DE-PSC-WILLICH PRODUCT "EOS R5" SERIAL SN__rand_int__ SERVICE repair RECEIVED NOW >/dev/null 2>&1

echo "== 16 clients pipelining TICKET.LIST ALL COUNT 10000 and never reading ($TICKETS tickets)"
python3 - "$port" "$rpid" <<'PY'
import socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def rss_mb():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
base = rss_mb()
req = b"TICKET.LIST ALL COUNT 10000\r\n" * 200
hogs = []
for _ in range(16):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setblocking(False)
    hogs.append(s)
pinger = socket.create_connection(("127.0.0.1", port))
peak, worst, pings = base, 0.0, 0
end = time.monotonic() + 8
while time.monotonic() < end:
    for s in hogs:
        try:
            s.send(req)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            pass
    t = time.monotonic()
    pinger.sendall(b"PING\r\n")
    got = b""
    while not got.endswith(b"\r\n"):
        got += pinger.recv(64)
    worst = max(worst, time.monotonic() - t)
    pings += 1
    peak = max(peak, rss_mb())
    time.sleep(0.01)
print("resident %.1f MB before, %.1f MB at the peak (+%.1f MB); %d PINGs from another client, the worst after %.1f ms"
      % (base, peak, peak - base, pings, worst * 1000))
for s in hogs:
    s.close()
PY

echo "== 2000 connections sending one byte a second (request deadline 3 s)"
ulimit -n 8192 2>/dev/null || true
python3 - "$port" "$tmp/repaird.sock" <<'PY'
import socket, sys, time
port, sock = int(sys.argv[1]), sys.argv[2]
conns = []
for _ in range(2000):
    try:
        conns.append(socket.create_connection(("127.0.0.1", port)))
    except OSError:
        break
start = time.monotonic()
while time.monotonic() - start < 6:
    for c in conns:
        try:
            c.send(b"P")
        except OSError:
            pass
    time.sleep(1)
def connected(c):
    # Read what the daemon sent (an error line, say) until it would block (still
    # connected) or the end (closed).
    c.setblocking(False)
    try:
        while True:
            if c.recv(65536) == b"":
                return False
    except BlockingIOError:
        return True
    except OSError:
        return False
alive = sum(1 for c in conns if connected(c))
t = time.monotonic()
u = socket.socket(socket.AF_UNIX)
u.connect(sock)
u.sendall(b"PING\r\n")
pong = u.recv(64)
print("%d opened, %d still connected after 6 s; the unix socket answered %r in %.1f ms"
      % (len(conns), alive, pong.strip(), (time.monotonic() - t) * 1000))
PY
