"""The benchmark: bucket-preflight's full check against what a user would otherwise run.

Starts the emulator behind a latency proxy, creates a healthy bucket, and times (median of
--runs, after one untimed warm-up run each) the tool's full check, the same calls as an aws CLI
script and as a sequential boto3 script, and the no-credentials answer. Prints a Markdown table.

Usage: run.py --binary PATH --proxy PATH --moto PATH --aws PATH --bench-python PATH [--rtt-ms 50]
              [--runs 7]
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUCKET = "healthy-exports"
ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def start(command, pattern, stream="stdout"):
    """Starts a server and waits for the line that carries its port."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
        stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
        text=True,
    )
    pipe = process.stdout if stream == "stdout" else process.stderr
    for line in pipe:
        found = re.search(pattern, line)
        if found:
            # Keep draining: a server whose log pipe fills up stops answering.
            threading.Thread(target=lambda: [None for _ in pipe], daemon=True).start()
            return process, int(found.group(1))
    raise SystemExit(f"{command[0]} exited before it listened")


def connections_so_far(count_file):
    try:
        with open(count_file) as count:
            return int(count.read() or 0)
    except FileNotFoundError:
        return 0


def timed(command, env, runs, expect_codes=(0,), count_file=None):
    """(median, fastest, slowest) wall time of `runs` runs, after one untimed warm-up run;
    fails loudly if a run ends unexpectedly. With `count_file`, also the connections the proxy
    accepted per timed run."""
    # The warm-up run pays the cold starts that are nobody's speed: the emulator imports each
    # of its request handlers on first use (a fresh emulator's first check took ~370 ms
    # against ~295 ms after), and the peers' Python modules come off the disk.
    subprocess.run(command, env=env, capture_output=True)
    before = connections_so_far(count_file) if count_file else 0
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if result.returncode not in expect_codes:
            raise SystemExit(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
    spread = (statistics.median(times), min(times), max(times))
    if count_file:
        return spread, (connections_so_far(count_file) - before) / runs
    return spread


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--proxy", required=True, help="the latency proxy (examples/latency_proxy.rs)")
    parser.add_argument("--moto", required=True)
    parser.add_argument("--aws", required=True)
    parser.add_argument("--bench-python", required=True)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rtt = args.rtt_ms / 1000.0

    moto, moto_port = start(
        [args.moto, "-H", "127.0.0.1", "-p", "0"], r"Running on http://127\.0\.0\.1:(\d+)", "stderr"
    )
    count_file = os.path.join(tempfile.mkdtemp(), "connections")
    proxy, port = start(
        [args.proxy, str(moto_port), str(args.rtt_ms), count_file],
        r"listening on (\d+)",
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
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
        subprocess.run(
            [args.bench_python, "-c",
             "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')"
             ".create_bucket(Bucket=sys.argv[2])",
             f"http://127.0.0.1:{moto_port}", BUCKET],
            env=env, check=True,
        )
        tool = [
            args.binary, "check", BUCKET, "--acl", "public", "--bucket-region", "us-east-1",
            "--endpoint-url", endpoint, "--path-style", "--url-prefix", f"{endpoint}/{BUCKET}/",
        ]
        results = {
            "bucket-preflight check (all checks + dry run)": timed(
                tool, env, args.runs, count_file=count_file
            ),
            "aws CLI script (same calls, one command each)": timed(
                [os.path.join(HERE, "aws_cli_calls.sh"), args.aws, endpoint, BUCKET], env, args.runs,
                count_file=count_file,
            ),
            "boto3 script (same calls, one after another)": timed(
                [args.bench_python, os.path.join(HERE, "boto3_calls.py"), endpoint, BUCKET],
                env, args.runs, count_file=count_file,
            ),
        }
        # No credentials anywhere, and a metadata endpoint that accepts and never answers.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        no_credentials = {
            "PATH": os.environ["PATH"],
            "HOME": home,
            "AWS_CONFIG_FILE": os.path.join(home, "none"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{silent.getsockname()[1]}",
        }
        no_creds_time = timed([args.binary, "check", BUCKET], no_credentials, args.runs, (1, 3))
        silent.close()
    finally:
        proxy.kill()
        moto.kill()

    tool_time = results["bucket-preflight check (all checks + dry run)"][0][0]
    print(f"\nRound trip {args.rtt_ms:.0f} ms, median of {args.runs} runs each (after a warm-up run):\n")
    print("| what | median | fastest–slowest | round trips | connections | vs bucket-preflight |")
    print("|---|---|---|---|---|---|")
    for name, ((seconds, fastest, slowest), connections) in results.items():
        print(
            f"| {name} | {seconds:.3f} s | {fastest:.3f}–{slowest:.3f} s | {seconds / rtt:.2f} "
            f"| {connections:.0f} | {seconds / tool_time:.1f}× |"
        )
    seconds, fastest, slowest = no_creds_time
    print(
        f"| bucket-preflight, no credentials (silent metadata service) | {seconds:.3f} s "
        f"| {fastest:.3f}–{slowest:.3f} s | – | – | – |"
    )


if __name__ == "__main__":
    main()
