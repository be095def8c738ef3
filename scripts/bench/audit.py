"""The audit benchmark: `bucket-preflight audit` over N buckets on the emulator behind the latency
proxy, against the emulator's own request ceiling measured in the same run.

Creates N healthy buckets, writes a config naming each one, runs the full audit (every check and
the dry run) once at N/10 targets and once at N (peak RSS at both sizes shows whether memory
grows with the number of targets), counts the requests the emulator served, then replays the
audit's read requests straight at the emulator as fast as it answers them: that rate is the
ceiling no client can beat. Prints a Markdown table.

Usage: audit.py --binary PATH --moto PATH --python PATH [--buckets 1000] [--rtt-ms 50]
                [--concurrency 32]
"""

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REQUEST_LINE = re.compile(r'"(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP/1\.[01]" (\d{3})')


class Moto:
    """The emulator, its port, and every request line it logs."""

    def __init__(self, server):
        self.process = subprocess.Popen(
            [server, "-H", "127.0.0.1", "-p", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        )
        self.requests = []
        self.port = None
        ready = threading.Event()

        def drain():
            for line in self.process.stderr:
                found = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
                if found and self.port is None:
                    self.port = int(found.group(1))
                    ready.set()
                request = REQUEST_LINE.search(line)
                if request:
                    self.requests.append((request.group(1), request.group(2)))

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(60):
            raise SystemExit("moto did not start within 60 s")


def start_proxy(moto_port, rtt_ms):
    proxy = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "latency_proxy.py"), str(moto_port), str(rtt_ms)],
        stdout=subprocess.PIPE, text=True,
    )
    line = proxy.stdout.readline()
    found = re.search(r"listening on (\d+)", line)
    if not found:
        raise SystemExit("the latency proxy did not start")
    threading.Thread(target=lambda: [None for _ in proxy.stdout], daemon=True).start()
    return proxy, int(found.group(1))


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


def ceiling(moto_port, requests, threads=16):
    """Requests per second the emulator serves when nothing else is in the way: the audit's own
    read requests (GET and HEAD), replayed directly at it by `threads` clients at once."""
    reads = [r for r in requests if r[0] in ("GET", "HEAD")]
    if not reads:
        return None
    position = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if position[0] >= len(reads):
                    return
                method, path = reads[position[0]]
                position[0] += 1
            connection = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=60)
            connection.request(method, path)
            connection.getresponse().read()
            connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(reads) / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--python", required=True, help="a Python with boto3 (the emulator's)")
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    moto = Moto(args.moto)
    proxy, proxy_port = start_proxy(moto.port, args.rtt_ms)
    try:
        endpoint = f"http://127.0.0.1:{proxy_port}"
        names = [f"bench-{i:05d}" for i in range(args.buckets)]
        create_buckets(args.python, moto.port, names)
        home = tempfile.mkdtemp()
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
            before = len(moto.requests)
            load = os.getloadavg()[0]
            wall, code, rss, cpu = run_audit(args.binary, config, endpoint, args.concurrency, env)
            served = moto.requests[before:]
            rate = ceiling(moto.port, served)
            # The same reads through the latency proxy by 64 clients at once: what the proxy
            # itself lets through on this machine (it is one Python process).
            through_proxy = ceiling(proxy_port, served, threads=64)
            floor = len(served) / rate if rate else float("nan")
            rows.append((count, wall, code, len(served), rss, cpu, rate, floor, load, through_proxy))
    finally:
        proxy.kill()
        moto.process.kill()

    print(f"\nAudit of N buckets, full checks and dry run, {args.rtt_ms:.0f} ms round trip, "
          f"--concurrency {args.concurrency}:\n")
    print("| buckets | wall time | requests | emulator ceiling | fastest possible | wall / fastest | audit rate | proxy ceiling | peak RSS | tool CPU | load before | exit |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for count, wall, code, requests, rss, cpu, rate, floor, load, proxy_rate in rows:
        print(f"| {count} | {wall:.1f} s | {requests} | {rate:.0f} req/s | {floor:.1f} s | "
              f"{wall / floor:.2f}× | {requests / wall:.0f} req/s | {proxy_rate:.0f} req/s | "
              f"{rss:.0f} MiB | {cpu:.1f} s | {load:.1f} | {code} |")


if __name__ == "__main__":
    main()
