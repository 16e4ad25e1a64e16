#!/usr/bin/env python3
"""vpsctl-api over its unix socket, for tests/integration/api.sh and bench/api.sh.

  api-client.py req SOCK TOKEN METHOD PATH [BODY]   prints "CODE BODY" (BODY '-': stdin)
  api-client.py tls HOST:PORT TOKEN METHOD PATH     the same over HTTPS (any certificate)
  api-client.py sse SOCK TOKEN SECONDS              prints each event's lines for SECONDS
  api-client.py load SOCK TOKEN CLIENTS SECONDS PATH
      CLIENTS threads each GET PATH in a loop for SECONDS (one connection per request);
      prints "requests=N errors=E p50_ms=X p99_ms=Y"
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
        c.request(method, path, body=body, headers=headers)
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
    else:
        sys.exit("unknown command " + a[0])


if __name__ == "__main__":
    main(sys.argv[1:])
