#!/usr/bin/env python3
"""Raw HTTPS probes of vpsctl-api for tests/integration/api-security.sh.

  api-security.py get SRC HOST TOKEN PATH      "CODE" and the headers, one a line ("-": none)
  api-security.py hold SRC HOST N SECONDS CMD...
      N idle TCP connections from SRC held while CMD runs; prints CMD's output
  api-security.py console-drop HOST TOKEN NAME PIDFILE SECONDS
      a WebSocket console over HTTPS dropped without a close; prints "gone" once the pid in
      PIDFILE (the console's vpsctl) exits, or "alive" after SECONDS
  api-security.py sse SOCK TOKEN N                N event streams held at once; each status
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


def main(a):
    if a[0] == "get":
        get(a[1], a[2], a[3], a[4])
    elif a[0] == "hold":
        hold(a[1], a[2], int(a[3]), float(a[4]), a[5:])
    elif a[0] == "console-drop":
        console_drop(a[1], a[2], a[3], a[4], float(a[5]))
    elif a[0] == "sse":
        sse(a[1], a[2], int(a[3]))


if __name__ == "__main__":
    main(sys.argv[1:])
