#!/usr/bin/env python3
"""Raw HTTPS probes of vpsctl-api for tests/integration/api-security.sh.

  api-security.py get SRC HOST TOKEN PATH      "CODE" and the headers, one a line ("-": none)
  api-security.py hold SRC HOST N SECONDS CMD...
      N idle TCP connections from SRC held while CMD runs; prints CMD's output
  api-security.py console-drop HOST TOKEN NAME PIDFILE SECONDS
      a WebSocket console over HTTPS dropped without a close; prints "gone" once the pid in
      PIDFILE (the console's vpsctl) exits, or "alive" after SECONDS
  api-security.py sse SOCK TOKEN N                N event streams held at once; each status
  api-security.py sse-end SOCK TOKEN SECONDS    an event stream read (chunks decoded) until its
      end: its lines, then "ended", or "open" after SECONDS
  api-security.py hold6 PREFIX FIRST COUNT PER HOST SECONDS CMD...
      PER idle TCP connections from each of COUNT addresses PREFIX:FIRST.. (one /64) to
      HOST:8443, held while CMD runs; prints how many the daemon kept open, then CMD's output
  api-security.py idle SRC HOST SECONDS       one TCP connection that never says a word:
      "closed" once the daemon closes it, "open" after SECONDS
  api-security.py sse-tls HOST TOKEN SECONDS  an event stream over HTTPS held SECONDS:
      its status, then "open" (with its keepalives) or "closed"
  api-security.py ws-wait SOCK TOKEN NAME READYFILE SECONDS
      a console WebSocket (Bearer header) over the unix socket; READYFILE made once it is
      open; prints the status line, then "close CODE REASON", "eof" or "open" after SECONDS
"""
import http.client
import os
import socket
import ssl
import subprocess
import sys
import time


def tls(src, host, timeout=10):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((host, 8443))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(s)


def get(src, host, token, path):
    try:
        s = tls(src, host)
        hdr = "Authorization: Bearer %s\r\n" % token if token != "-" else ""
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n" % (path, hdr)).encode())
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except OSError as e:
        print("failed %s" % type(e).__name__)
        return
    head = out.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    if not head[0]:
        print("failed closed")
        return
    print(head[0].split(" ")[1])
    for h in head[1:]:
        print(h)


def hold(src, host, n, seconds, cmd):
    held = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.connect((host, 8443))
        held.append(s)
    time.sleep(0.5)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds)
    sys.stdout.write(r.stdout)
    for s in held:
        s.close()


def console_drop(host, token, name, pidfile, seconds):
    s = tls("0.0.0.0", host)
    s.sendall(("GET /v1/vps/%s/console HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (name, token)).encode())
    head = s.recv(4096).decode(errors="replace")
    print(head.split("\r\n")[0])
    end = time.time() + 10
    while not os.path.exists(pidfile) and time.time() < end:
        time.sleep(0.1)
    pid = int(open(pidfile).read())
    s.close()  # the browser goes: no close frame
    end = time.time() + seconds
    while time.time() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("gone")
            return
        time.sleep(0.1)
    print("alive")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def sse(sock, token, n):
    conns = []
    for _ in range(n):
        c = UnixConnection(sock)
        c.request("GET", "/v1/events", headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        body = "" if r.status == 200 else r.read().decode(errors="replace")
        print(r.status, body)
        conns.append(c)
    for c in conns:
        c.close()


def sse_end(sock, token, seconds):
    c = UnixConnection(sock)
    c.timeout = seconds
    c.request("GET", "/v1/events", headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    print("status %d" % r.status, flush=True)
    try:
        while True:
            line = r.readline()
            if not line:
                print("ended", flush=True)
                return
            print(line.decode(errors="replace").rstrip("\n"), flush=True)
    except (socket.timeout, TimeoutError):
        print("open", flush=True)


def hold6(prefix, first, count, per, host, seconds, cmd):
    held = []
    for i in range(first, first + count):
        for _ in range(per):
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind(("%s:%x" % (prefix, i), 0))
            try:
                s.connect((host, 8443))
            except BlockingIOError:
                pass
            held.append(s)
    time.sleep(3)  # the daemon accepts them, and closes what it refuses
    alive = 0
    for s in held:
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1  # nothing to read and not closed: held open
        except OSError:
            pass
    print("held %d of %d" % (alive, len(held)), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds)
    sys.stdout.write(r.stdout)
    for s in held:
        s.close()


def idle(src, host, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.connect((host, 8443))
    end = time.time() + seconds
    try:
        while time.time() < end:
            s.settimeout(max(0.1, end - time.time()))
            if s.recv(4096) == b"":  # a TLS alert may come first: its end is the close
                print("closed")
                return
    except (socket.timeout, TimeoutError):
        pass
    except OSError:
        print("closed")
        return
    print("open")


def sse_tls(host, token, seconds):
    s = tls("0.0.0.0", host, timeout=seconds + 5)
    s.sendall(("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
               % token).encode())
    out, end = b"", time.time() + seconds
    try:
        while time.time() < end:
            s.settimeout(max(0.1, end - time.time()))
            d = s.recv(4096)
            if not d:
                print(out.split(b"\r\n", 1)[0].decode(errors="replace"))
                print("closed")
                return
            out += d
    except (socket.timeout, TimeoutError):
        pass
    print(out.split(b"\r\n", 1)[0].decode(errors="replace"))
    print("open, %d keepalives" % out.count(b": keepalive"))


def ws_wait(sock, token, name, ready, seconds):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "client", os.path.join(os.path.dirname(os.path.abspath(__file__)), "api-client.py"))
    client = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(client)
    s, _, lines, buf = client.ws_open(sock, token, "/v1/vps/%s/console" % name, seconds)
    print(lines[0], flush=True)
    open(ready, "w").close()
    try:
        while True:
            op, p, buf = client.ws_read(s, buf)
            if op == 8:
                print("close", int.from_bytes(p[:2], "big"), p[2:].decode())
                return
    except EOFError:
        print("eof")
    except (socket.timeout, TimeoutError):
        print("open")


def main(a):
    if a[0] == "get":
        get(a[1], a[2], a[3], a[4])
    elif a[0] == "hold":
        hold(a[1], a[2], int(a[3]), float(a[4]), a[5:])
    elif a[0] == "console-drop":
        console_drop(a[1], a[2], a[3], a[4], float(a[5]))
    elif a[0] == "sse":
        sse(a[1], a[2], int(a[3]))
    elif a[0] == "sse-end":
        sse_end(a[1], a[2], float(a[3]))
    elif a[0] == "hold6":
        hold6(a[1], int(a[2]), int(a[3]), int(a[4]), a[5], float(a[6]), a[7:])
    elif a[0] == "idle":
        idle(a[1], a[2], float(a[3]))
    elif a[0] == "sse-tls":
        sse_tls(a[1], a[2], float(a[3]))
    elif a[0] == "ws-wait":
        ws_wait(a[1], a[2], a[3], a[4], float(a[5]))


if __name__ == "__main__":
    main(sys.argv[1:])
