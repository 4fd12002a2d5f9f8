"""redis-cli in a terminal (a pty), as a person uses it: it reads COMMAND DOCS
when it starts, shows a command's arguments as a hint while one types, and
prints `help COMMAND`. Prints everything the terminal showed, escape codes
removed; tests/integration/test_it_clients.c looks for the hint in it.
Usage: cli_hints.py PORT"""
import os
import pty
import re
import select
import sys
import time


def main():
    port = sys.argv[1]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("redis-cli", ["redis-cli", "-p", port])
    out = bytearray()

    def pump(seconds):
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if fd not in ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            out.extend(data)
            # linenoise asks where the cursor is; a terminal would answer.
            if b"\x1b[6n" in data:
                os.write(fd, b"\x1b[1;200R")

    pump(1.0)
    for keys in ("help TICKET.OPEN\r", "TICKET.MOVE "):
        os.write(fd, keys.encode())
        pump(1.0)
    os.write(fd, b"\x15quit\r")  # ^U clears the line
    pump(0.5)
    os.waitpid(pid, 0)
    sys.stdout.write(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode(errors="replace")))


if __name__ == "__main__":
    main()
