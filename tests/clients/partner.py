"""A partner's program as docs/protocol.md describes it, with redis-py and its
defaults: book a Platinum member's repair at repaird, follow it, and read the
centre's events from Redis Streams with a consumer group. Run by
tests/integration/test_it_partner.c, which checks the lines printed.
Usage: partner.py REPAIRD_PORT PASSWORD REDIS_PORT STREAM"""
import sys
import time

import redis


def record(reply):
    """A field/value array (a ticket) as a dict."""
    return dict(zip(reply[0::2], reply[1::2]))


def main():
    port, password, redis_port, stream = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    repaird = redis.Redis(host="127.0.0.1", port=port, password=password, decode_responses=True)
    events = redis.Redis(host="127.0.0.1", port=redis_port, decode_responses=True)
    events.xgroup_create(stream, "workshop", id="0", mkstream=True)

    # The member is on file already (the centre's staff keep members; a partner may not).
    t = record(repaird.execute_command(
        "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL", "PARTNER01",
        "SERVICE", "repair", "MEMBER", "151335488", "REGISTERED", "yes"))
    print("opened", t["state"], "fast_track", t["fast_track"], "loan", t["loan_eligible"], t["loan_reason"])
    t = record(repaird.execute_command("TICKET.MOVE", t["id"], "received"))
    print("moved", t["state"], "deadline set", bool(t["deadline"]))

    # The loan unit is owed at booking: the partner learns it from the stream.
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline and "loan.eligible" not in seen:
        for _, entries in events.xreadgroup("workshop", "bench-1", {stream: ">"}, count=10, block=500) or []:
            for entry_id, fields in entries:
                seen.append(fields["event"])
                if fields["event"] == "loan.eligible":
                    print("event", fields["event"], "ticket", fields["ticket"] == t["id"],
                          "reason", fields["reason"], "member", fields["member"],
                          "id matches seq", entry_id == fields["seq"] + "-1")
                events.xack(stream, "workshop", entry_id)
    print("pending after ack", events.xpending(stream, "workshop")["pending"])
    print("done")


if __name__ == "__main__":
    main()
