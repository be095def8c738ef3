"""The audit benchmark: `bucket-preflight audit` over N buckets on the emulator behind the latency
proxy, against the emulator's own request ceiling measured in the same run.

Creates N healthy buckets, writes a config naming each one, runs the full audit (every check and
the dry run) once at N/10 targets and once at N (peak RSS at both sizes shows whether memory
grows with the number of targets), counts the requests the emulator served, then replays those
very requests (reads and writes: the proxy logs each one byte for byte as it sent it upstream)
straight at the emulator, as fast as it answers them from 32, 64 and 128 clients: the best rate
is the ceiling no client can beat. Prints a Markdown table.

With two cores or more, the emulator runs on a core of its own and everything else on the
others (`--no-pin`: not).

Usage: audit.py --binary PATH --proxy PATH --moto PATH --python PATH [--buckets 1000]
                [--rtt-ms 50] [--concurrency 32] [--no-pin]
"""

import argparse
import collections
import os
import re
import resource
import socket
import subprocess
import tempfile
import threading
import time

ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# moto colours the request line of a non-2xx answer (`"\x1b[31m\x1b[1mGET … HTTP/1.1\x1b[0m" 403`):
# those requests count too.
COLOUR = r"(?:\x1b\[[\d;]*m)*"
REQUEST_LINE = re.compile(
    rf'"{COLOUR}(GET|HEAD|PUT|POST|DELETE) \S+ HTTP/1\.[01]{COLOUR}" (\d{{3}})'
)
# Client counts the replay tries; the ceiling is the best of them (moto's rate depends on how
# many connections it juggles, and the ceiling must be the most it can do).
REPLAY_CLIENTS = (32, 64, 128)


class Moto:
    """The emulator, its port, and the status of every request it logs."""

    def __init__(self, server, cpus=None):
        self.process = subprocess.Popen(
            [server, "-H", "127.0.0.1", "-p", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        self.statuses = []
        self.port = None
        ready = threading.Event()

        def drain():
            for line in self.process.stderr:
                if self.port is None:
                    found = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
                    if found:
                        self.port = int(found.group(1))
                        ready.set()
                request = REQUEST_LINE.search(line)
                if request:
                    self.statuses.append(request.group(2))

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(60):
            raise SystemExit("moto did not start within 60 s")

    def served(self):
        """How many requests it has logged; waits until the log stops growing (its log line is
        written after the response)."""
        while True:
            count = len(self.statuses)
            time.sleep(0.2)
            if len(self.statuses) == count:
                return count


def cpu_seconds(pid):
    """User + system CPU seconds of a running process and its threads so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_proxy(proxy, moto_port, rtt_ms, count_file, request_log):
    process = subprocess.Popen(
        [proxy, str(moto_port), str(rtt_ms), count_file, request_log],
        stdout=subprocess.PIPE, text=True,
    )
    found = re.search(r"listening on (\d+)", process.stdout.readline())
    if not found:
        raise SystemExit("the latency proxy did not start")
    return process, int(found.group(1))


def read_count(path):
    try:
        with open(path) as count:
            return int(count.read() or 0)
    except FileNotFoundError:
        return 0


def logged_requests(path, start, end):
    """The requests the proxy sent upstream between two offsets of its request log."""
    with open(path, "rb") as log:
        log.seek(start)
        data = log.read(end - start)
    requests, at = [], 0
    while at < len(data):
        newline = data.index(b"\n", at)
        length = int(data[at:newline])
        requests.append(data[newline + 1:newline + 1 + length])
        at = newline + 1 + length
    return requests


def create_buckets(python, moto_port, names):
    script = (
        "import boto3, sys\n"
        "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',"
        " aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])\n"
        "for name in sys.stdin.read().split():\n"
        "    s3.create_bucket(Bucket=name)\n"
    )
    subprocess.run(
        [python, "-c", script, f"http://127.0.0.1:{moto_port}", ACCESS_KEY, SECRET_KEY],
        input="\n".join(names), text=True, check=True,
    )


def write_config(path, endpoint, names):
    with open(path, "w") as config:
        config.write('[defaults]\nacl = "bucket-default"\npath = "bench/${unique_prefix}/${file.url_name}"\n\n')
        for name in names:
            config.write(f'[[target]]\nbucket = "{name}"\nurl_prefix = "{endpoint}/{name}/"\n\n')


def run_audit(binary, config, endpoint, concurrency, env):
    """Wall time, exit code, peak RSS (MiB) and CPU seconds (user + system) of one audit run."""
    command = [
        binary, "audit", "--config", config, "--endpoint-url", endpoint, "--path-style",
        "--concurrency", str(concurrency), "--format", "json", "--output", config + ".json",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 3):
        raise SystemExit(f"the audit exited {code}:\n{stderr}")
    return wall, code, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def by_bucket(requests):
    """The requests in order, one list per bucket (path-style: the path's first segment), so a
    replay keeps each probe's PUT, GET and DELETE in the audit's order."""
    groups = collections.OrderedDict()
    for request in requests:
        path = request.split(b" ", 2)[1]
        groups.setdefault(path.split(b"/")[1].split(b"?")[0], []).append(request)
    return list(groups.values())


def replay(moto_port, groups, clients):
    """Sends the logged requests, exactly as the proxy sent them (`Connection: close`, one
    connection each, as the proxy does), straight at the emulator from `clients` threads at
    once; returns (requests per second, the statuses it answered)."""
    pending = collections.deque(groups)
    statuses = []

    def worker():
        while True:
            try:
                group = pending.popleft()
            except IndexError:
                return
            for request in group:
                with socket.create_connection(("127.0.0.1", moto_port), timeout=60) as upstream:
                    upstream.sendall(request)
                    response = b""
                    while chunk := upstream.recv(65536):
                        response += chunk
                statuses.append(response.split(b" ", 2)[1].decode())

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(statuses) / (time.perf_counter() - started), statuses


def own_cpu():
    """CPU seconds this benchmark process (its log drain, its replay clients) has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ceiling(moto, groups, audit_statuses):
    """Replays at each of REPLAY_CLIENTS: a dict of the best rate, moto's and this process's CPU
    share during that replay, and the rate by client count. Warns when a replay was answered
    differently from the audit (it would have measured other work)."""
    best, rates = None, {}
    for clients in REPLAY_CLIENTS:
        moto_cpu, bench_cpu = cpu_seconds(moto.process.pid), own_cpu()
        started = time.perf_counter()
        rate, statuses = replay(moto.port, groups, clients)
        took = time.perf_counter() - started
        if collections.Counter(statuses) != collections.Counter(audit_statuses):
            print(f"warning: the replay with {clients} clients was answered "
                  f"{dict(collections.Counter(statuses))}, the audit "
                  f"{dict(collections.Counter(audit_statuses))}")
        rates[clients] = rate
        if best is None or rate > best["rate"]:
            best = {
                "rate": rate,
                "moto_busy": (cpu_seconds(moto.process.pid) - moto_cpu) / took,
                "bench_busy": (own_cpu() - bench_cpu) / took,
            }
    best["rates"] = rates
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--proxy", required=True, help="the latency proxy (examples/latency_proxy.rs)")
    parser.add_argument("--moto", required=True)
    parser.add_argument("--python", required=True, help="a Python with boto3 (the emulator's)")
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--no-pin", action="store_true",
                        help="let the emulator share every core with the rest")
    args = parser.parse_args()

    # On a machine of few cores the emulator (one Python process: about one core) and everything
    # else (the audit, the proxy, this script's log drain and replay clients) slow each other
    # down by turns, which made the same run vary by a third. The emulator gets a core of its
    # own and the rest share the others, in the audit and in the replay alike.
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pinned = len(cpus) >= 2 and not args.no_pin
    moto = Moto(args.moto, {cpus[0]} if pinned else None)
    if pinned:
        os.sched_setaffinity(0, set(cpus[1:]))
    home = tempfile.mkdtemp()
    count_file, request_log = os.path.join(home, "connections"), os.path.join(home, "requests")
    proxy, proxy_port = start_proxy(args.proxy, moto.port, args.rtt_ms, count_file, request_log)
    try:
        endpoint = f"http://127.0.0.1:{proxy_port}"
        names = [f"bench-{i:05d}" for i in range(args.buckets)]
        create_buckets(args.python, moto.port, names)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": home,
            "AWS_CONFIG_FILE": os.path.join(home, "none"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        rows = []
        for count in sorted({max(1, args.buckets // 10), args.buckets}):
            config = os.path.join(home, f"audit-{count}.toml")
            write_config(config, endpoint, names[:count])
            served_before, log_before = moto.served(), os.path.getsize(request_log)
            connections_before = read_count(count_file)
            moto_cpu, proxy_cpu = cpu_seconds(moto.process.pid), cpu_seconds(proxy.pid)
            bench_cpu, load = own_cpu(), os.getloadavg()[0]
            wall, code, rss, cpu = run_audit(args.binary, config, endpoint, args.concurrency, env)
            row = {
                "buckets": count, "wall": wall, "code": code, "rss": rss, "cpu": cpu, "load": load,
                "moto_busy": (cpu_seconds(moto.process.pid) - moto_cpu) / wall,
                "bench_busy": (own_cpu() - bench_cpu) / wall,
                "proxy_cpu": cpu_seconds(proxy.pid) - proxy_cpu,
                "requests": moto.served() - served_before,
                "connections": read_count(count_file) - connections_before,
            }
            requests = logged_requests(request_log, log_before, os.path.getsize(request_log))
            if len(requests) != row["requests"]:
                raise SystemExit(f"the proxy sent {len(requests)} requests, "
                                 f"moto logged {row['requests']}")
            audit_statuses = moto.statuses[served_before:served_before + row["requests"]]
            row["ceiling"] = ceiling(moto, by_bucket(requests), audit_statuses)
            rows.append(row)
    finally:
        proxy.kill()
        moto.process.kill()

    print(f"\nAudit of N buckets, full checks and dry run, {args.rtt_ms:.0f} ms round trip, "
          f"--concurrency {args.concurrency}, "
          + (f"emulator on CPU {cpus[0]}, the rest on CPU {','.join(map(str, cpus[1:]))}"
             if pinned else "no CPU pinning") + ":\n")
    print("| buckets | wall time | requests | connections | emulator ceiling | fastest possible "
          "| wall / fastest | audit rate | emulator CPU (audit / ceiling) | peak RSS | tool CPU "
          "| proxy CPU | load before | exit |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        best = row["ceiling"]
        fastest = row["requests"] / best["rate"]
        print(f"| {row['buckets']} | {row['wall']:.1f} s | {row['requests']} | "
              f"{row['connections']} | {best['rate']:.0f} req/s | {fastest:.1f} s | "
              f"{row['wall'] / fastest:.2f}× | {row['requests'] / row['wall']:.0f} req/s | "
              f"{row['moto_busy']:.0%} / {best['moto_busy']:.0%} | {row['rss']:.0f} MiB | "
              f"{row['cpu']:.1f} s | {row['proxy_cpu']:.1f} s | {row['load']:.1f} | "
              f"{row['code']} |")
    print("\nThe replay's rate by number of clients (the ceiling is the best), and this script's "
          "own CPU (log drain, replay clients) as a share of one core:")
    for row in rows:
        best = row["ceiling"]
        rates = ", ".join(f"{clients} clients {rate:.0f} req/s"
                          for clients, rate in best["rates"].items())
        print(f"- {row['buckets']} buckets: {rates}; own CPU {row['bench_busy']:.0%} during the "
              f"audit, {best['bench_busy']:.0%} during the best replay")


if __name__ == "__main__":
    main()
