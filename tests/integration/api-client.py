#!/usr/bin/env python3
"""vpsctl-api over its unix socket, for tests/integration/api.sh and bench/api.sh.

  api-client.py req SOCK TOKEN METHOD PATH [BODY]   prints "CODE BODY" (BODY '-': stdin)
  api-client.py tls HOST:PORT TOKEN METHOD PATH     the same over HTTPS (any certificate)
  api-client.py sse SOCK TOKEN SECONDS              prints each event's lines for SECONDS
  api-client.py load SOCK TOKEN CLIENTS SECONDS PATH
      CLIENTS threads each GET PATH in a loop for SECONDS (one connection per request);
      prints "requests=N errors=E p50_ms=X p99_ms=Y"
  api-client.py ws SOCK AUTH PATH INPUT EXPECT SECONDS [unmasked]
      a WebSocket (AUTH "ticket:HEX" as a subprotocol, or a token as a Bearer header): a ping,
      INPUT sent in two fragments, the output read until it holds EXPECT; prints what it saw
"""
import http.client
import socket
import sys
import threading
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def request(sock, token, method, path, body=None, conn=None):
    c = conn or UnixConnection(sock)
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        try:
            c.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            # the server answered (a 413 on the declared length) and closed before the whole
            # body was sent: its answer is still there to read
            if c.sock is None:
                raise
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    except (ConnectionError, http.client.HTTPException) as e:
        # a refusal before the body was read may close the connection under the upload
        return 0, "connection: %s" % e
    finally:
        c.close()


def sse(sock, token, seconds):
    c = UnixConnection(sock, timeout=seconds)
    c.request("GET", "/v1/events", headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    print("status %d" % r.status, flush=True)
    end = time.time() + seconds
    try:
        while time.time() < end:
            line = r.fp.readline()
            if not line:
                break
            print(line.decode().rstrip("\n"), flush=True)
    except (socket.timeout, TimeoutError):
        pass


def load(sock, token, clients, seconds, path):
    times, errors = [], []
    lock = threading.Lock()
    end = time.time() + seconds

    def worker():
        mine, bad = [], 0
        while time.time() < end:
            t0 = time.perf_counter()
            code, _ = request(sock, token, "GET", path)
            mine.append((time.perf_counter() - t0) * 1000)
            if code != 200:
                bad += 1
        with lock:
            times.extend(mine)
            errors.append(bad)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] if times else -1
    print("requests=%d errors=%d p50_ms=%.1f p99_ms=%.1f"
          % (len(times), sum(errors), p(0.50), p(0.99)))


def ws_frame(op, payload, fin=True, mask=True):
    import os
    h = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        h += bytes([m | n])
    else:
        h += bytes([m | 126]) + n.to_bytes(2, "big")
    if not mask:
        return h + payload
    k = os.urandom(4)
    return h + k + bytes(b ^ k[i % 4] for i, b in enumerate(payload))


def ws_read(s, buf):
    """one server frame: (op, payload, rest of buf)"""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            d = s.recv(65536)
            if not d:
                raise EOFError
            buf += d
    need(2)
    op, n = buf[0] & 0x0f, buf[1] & 0x7f
    hl = 2
    if n == 126:
        need(4)
        n, hl = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        need(10)
        n, hl = int.from_bytes(buf[2:10], "big"), 10
    need(hl + n)
    return op, buf[hl:hl + n], buf[hl + n:]


def ws_open(sock, auth, path, seconds):
    """the handshake over the unix socket: (socket, key, the answer's lines, bytes after it)"""
    import base64
    import os
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(seconds)
    s.connect(sock)
    key = base64.b64encode(os.urandom(16)).decode()
    h = "GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, key)
    if auth.startswith("ticket:"):
        h += "Sec-WebSocket-Protocol: vpsctl-console, ticket.%s\r\n" % auth[7:]
    elif auth:
        h += "Authorization: Bearer %s\r\n" % auth
    s.sendall((h + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    head, _, buf = buf.partition(b"\r\n\r\n")
    return s, key, head.decode(errors="replace").split("\r\n"), buf


def ws(sock, auth, path, data, expect, seconds, unmasked=False):
    import base64
    s, key, lines, buf = ws_open(sock, auth, path, seconds)
    print(lines[0])
    if " 101 " not in lines[0]:
        print(buf.decode(errors="replace"))
        return
    import hashlib
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                         .encode()).digest()).decode()
    print("accept", "ok" if ("Sec-WebSocket-Accept: " + want) in lines else "bad")
    if unmasked:
        s.sendall(ws_frame(2, b"x", mask=False))
        while True:
            op, p, buf = ws_read(s, buf)
            if op == 8:
                print("close", int.from_bytes(p[:2], "big"), p[2:].decode())
                return
    s.sendall(ws_frame(9, b"hi"))
    half = len(data) // 2
    s.sendall(ws_frame(1, data[:half].encode(), fin=False))
    s.sendall(ws_frame(0, data[half:].encode()))
    out, pong, end = b"", False, time.time() + seconds
    try:
        while time.time() < end and (expect.encode() not in out or not pong):
            op, p, buf = ws_read(s, buf)
            if op == 10 and p == b"hi":
                pong = True
            elif op == 2:
                out += p
            elif op == 8:
                print("closed", int.from_bytes(p[:2], "big"), p[2:].decode())
                break
    except (EOFError, socket.timeout, TimeoutError):
        pass
    print("pong", pong)
    print("found" if expect.encode() in out else "not found: %r" % out[-300:])
    s.sendall(ws_frame(8, (1000).to_bytes(2, "big")))
    try:
        while True:
            op, p, buf = ws_read(s, buf)
            if op == 8:
                print("close answered", int.from_bytes(p[:2], "big"))
                break
    except (EOFError, socket.timeout, TimeoutError):
        print("close not answered")


def main(a):
    if a[0] == "req":
        body = a[5] if len(a) > 5 else None
        if body == "-":
            body = sys.stdin.buffer.read()
        code, text = request(a[1], a[2], a[3], a[4], body)
        print(code, text)
    elif a[0] == "tls":
        import ssl
        host, port = a[1].rsplit(":", 1)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
        conn = http.client.HTTPSConnection(host, int(port), timeout=30, context=ctx)
        code, text = request(None, a[2], a[3], a[4], conn=conn)
        print(code, text)
    elif a[0] == "sse":
        sse(a[1], a[2], float(a[3]))
    elif a[0] == "load":
        load(a[1], a[2], int(a[3]), float(a[4]), a[5])
    elif a[0] == "ws":
        ws(a[1], a[2], a[3], a[4], a[5], float(a[6]), len(a) > 7)
    else:
        sys.exit("unknown command " + a[0])


if __name__ == "__main__":
    main(sys.argv[1:])
