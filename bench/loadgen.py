"""A small HTTP/1.1 load generator, for machines without wrk: N keep-alive connections on
loopback, each sending the same request as soon as the previous answer arrived, for a fixed
time. Run in its own process (as wrk would be), it prints one JSON line:
``{"requests", "seconds", "p50_ms", "p99_ms", "errors"}``.

    python -m bench.loadgen http://127.0.0.1:8000/graphql --method POST \\
        --body '{"query": "{ __typename }"}' -H 'Content-Type: application/json' -c 8 -d 5

It parses responses with Content-Length or chunked bodies, nothing more. Slower than wrk
(one Python process tops out at a few thousand requests/s), which the API benchmark says when
it falls back to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.parse


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _connection(host: str, port: int, request: bytes, warmup_until: float,
                      until: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            started = time.perf_counter()
            if started >= until:
                return
            writer.write(request)
            status = await _read_response(reader)
            if started >= warmup_until:
                latencies.append(time.perf_counter() - started)
                if not 200 <= status < 400:
                    errors.append(status)
    finally:
        writer.close()


async def load(url: str, method: str, body: bytes, headers: dict[str, str], connections: int,
               seconds: float, warmup: float = 0.0) -> dict[str, float]:
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT"):
        head.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    warmup_until = start + warmup
    until = warmup_until + seconds
    await asyncio.gather(*(
        _connection(host, port, request, warmup_until, until, latencies, errors)
        for _ in range(connections)))
    elapsed = max(time.perf_counter(), until) - warmup_until
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0

    return {"requests": len(ordered), "seconds": elapsed, "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99), "errors": len(errors)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default="")
    parser.add_argument("-H", "--header", action="append", default=[])
    parser.add_argument("-c", "--connections", type=int, default=8)
    parser.add_argument("-d", "--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    args = parser.parse_args(argv)
    headers = dict((h.split(":", 1)[0].strip(), h.split(":", 1)[1].strip()) for h in args.header)
    try:
        from uvloop import run
    except ImportError:
        run = asyncio.run
    result = run(load(args.url, args.method.upper(), args.body.encode(), headers,
                              args.connections, args.seconds, args.warmup))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
