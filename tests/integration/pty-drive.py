#!/usr/bin/env python3
# pty-drive.py CMD STEP...: runs bash -c CMD on a new pty (the operator's terminal) and plays the
# steps: wait:SECS (read what comes), send:TEXT (type it; \r, \x1d and the like are decoded).
# Typing goes on after CMD has exited, as an operator's would. Prints what the terminal showed,
# then "RC=N" (CMD's exit status, or "RC=running").
import os, pty, select, sys, time

pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "-c", sys.argv[1]])
out, status = b"", None


def pump(secs):
    global out, status
    end = time.time() + secs
    while time.time() < end:
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
        r, _, _ = select.select([fd], [], [], min(0.1, max(0, end - time.time())))
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                time.sleep(0.1)


for step in sys.argv[2:]:
    kind, arg = step.split(":", 1)
    if kind == "wait":
        pump(float(arg))
    elif kind == "send":
        try:
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        except OSError:
            pass
        pump(0.3)
sys.stdout.write(out.decode(errors="replace"))
print("\nRC=%s" % ("running" if status is None else status))
