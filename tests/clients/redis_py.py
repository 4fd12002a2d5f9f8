"""redis-py with its defaults (RESP2, AUTH password on connect, a transactional
pipeline) against repaird; run by tests/integration/test_it_clients.c, which
checks the lines printed. Usage: redis_py.py PORT PASSWORD"""
import sys

import redis


def record(reply):
    """A field/value array as a dict."""
    return dict(zip(reply[0::2], reply[1::2]))


def main():
    port, password = int(sys.argv[1]), sys.argv[2]
    r = redis.Redis(host="127.0.0.1", port=port, password=password, decode_responses=True)
    print("version", redis.__version__)
    print("ping", r.ping())
    r.execute_command("MEMBER.SET", "151335488", "TIER", "gold", "COUNTRY", "DE")
    with r.pipeline() as p:  # transaction=True: MULTI ... EXEC
        p.execute_command("TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5",
                          "SERIAL", "PY0001", "SERVICE", "repair", "MEMBER", "151335488", "REGISTERED", "yes")
        p.execute_command("MEMBER.GET", "151335488")
        opened, member = p.execute()
    t = record(opened)
    print("opened", t["state"], "fast_track", t["fast_track"], "member", t["member"])
    print("member tier", record(member)["tier"])
    moved = record(r.execute_command("TICKET.MOVE", t["id"], "received"))
    print("moved", moved["state"])
    got = record(r.execute_command("TICKET.GET", t["id"]))
    print("got", got["id"] == t["id"], got["state"], got["serial"], "deadline", bool(got["deadline"]))
    try:
        with r.pipeline() as p:
            p.execute_command("TICKET.MOVE", t["id"], "diagnosing")
            p.execute_command("NO.SUCH.COMMAND")
            p.execute()
    except redis.exceptions.ResponseError as e:
        print("aborted", type(e).__name__, "unknown command", "unknown command" in str(e))
    print("after abort", record(r.execute_command("TICKET.GET", t["id"]))["state"])
    r.client_setname("py-test")
    print("name", r.client_getname())
    print("id", r.client_id() > 0)
    print("done")


if __name__ == "__main__":
    main()
