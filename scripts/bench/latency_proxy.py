"""A loopback HTTP/1.1 proxy that adds network latency, for the benchmark.

Every request/response exchange costs one round trip (half on the way there, half on the way
back), and every new client connection one more (the TCP handshake). Client connections are kept
alive even though the emulator closes its own after each response, so a client that reuses
connections benefits exactly as it would against S3. Prints "listening on PORT" once ready.

Usage: latency_proxy.py UPSTREAM_PORT RTT_MS [CONNECTION_COUNT_FILE]
With CONNECTION_COUNT_FILE, the number of client connections accepted so far is written there
after each new one (the benchmark reports connections per run from it).
"""

import asyncio
import sys

UPSTREAM = "127.0.0.1"


async def read_message(reader, is_response=False, request_method=None, writer=None):
    """Reads one HTTP message; returns (head lines, body) or None at EOF. A request that
    expects `100 Continue` gets it (one more round trip, as from S3) before its body is read."""
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return None
    lines = head.decode("latin-1").split("\r\n")[:-2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if not is_response and headers.get("expect", "").lower() == "100-continue":
        lines = [l for l in lines if not l.lower().startswith("expect:")]
        await asyncio.sleep(RTT)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    status = int(lines[0].split()[1]) if is_response else None
    if is_response and (request_method == "HEAD" or status in (204, 304) or 100 <= status < 200):
        body = b""
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            body += chunk[:-2]
            if size == 0:
                break
        lines = [l for l in lines if not l.lower().startswith("transfer-encoding")]
        lines.append(f"Content-Length: {len(body)}")
    elif is_response:
        body = await reader.read()  # HTTP/1.0: the body ends with the connection
        lines.append(f"Content-Length: {len(body)}")
    else:
        body = b""
    return lines, body


async def exchange(lines, body):
    """Sends one request upstream on a fresh connection and returns the response."""
    reader, writer = await asyncio.open_connection(UPSTREAM, UPSTREAM_PORT)
    request = [l for l in lines if not l.lower().startswith("connection:")]
    request.append("Connection: close")
    writer.write(("\r\n".join(request) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
    method = lines[0].split()[0]
    response = await read_message(reader, is_response=True, request_method=method)
    writer.close()
    return response


CONNECTIONS = 0


async def serve(client_reader, client_writer):
    global CONNECTIONS
    CONNECTIONS += 1
    if COUNT_FILE:
        with open(COUNT_FILE, "w") as count:
            count.write(str(CONNECTIONS))
    await asyncio.sleep(RTT)  # the TCP handshake
    try:
        while True:
            try:
                request = await read_message(client_reader, writer=client_writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if request is None:
                return
            lines, body = request
            await asyncio.sleep(RTT / 2)  # the request travels
            response = await exchange(lines, body)
            if response is None:
                return
            status_line, *headers = response[0]
            version, _, rest = status_line.partition(" ")
            headers = [h for h in headers if not h.lower().startswith("connection:")]
            headers.append("Connection: keep-alive")
            await asyncio.sleep(RTT / 2)  # the response travels
            client_writer.write(
                ("\r\n".join([f"HTTP/1.1 {rest}", *headers]) + "\r\n\r\n").encode("latin-1")
                + response[1]
            )
            await client_writer.drain()
    finally:
        client_writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    UPSTREAM_PORT = int(sys.argv[1])
    RTT = float(sys.argv[2]) / 1000.0
    COUNT_FILE = sys.argv[3] if len(sys.argv) > 3 else None
    asyncio.run(main())
