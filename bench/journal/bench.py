"""Helpers of bench/journal/run (see there).

  bench.py setup GW_PORT              create bucket "bench" and its metadata
                                      configuration, wait for ACTIVE
  bench.py helper MASTER_PID [OLD]    pid of "nginx: icetap journal" under
                                      MASTER_PID (and not OLD)
  bench.py drain WAL_DIR MASTER_PID OLD_PID MIN_ROWS TIMEOUT
                                      wait for the new helper to commit the
                                      backlog; print rows, cpu seconds, wall
  bench.py fresh WAL_DIR PORT RATE SECS TIMEOUT
                                      paced mutations, per-record delay from
                                      acknowledgement to committed row
  bench.py copies GW_PORT N           N CopyObjects in bucket "bench" (each
                                      needs a lookup by the journal helper)
"""

import http.client
import json
import os
import sys
import threading
import time

KEY, SECRET = "AKIADEMO00000000000", "demo-secret"
BUCKET = "bench"
TICK = os.sysconf("SC_CLK_TCK")


def setup(port):
    import boto3
    from botocore.config import Config

    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port,
                      aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                      region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket_metadata_configuration(
        Bucket=BUCKET,
        MetadataConfiguration={"JournalTableConfiguration": {
            "RecordExpiration": {"Expiration": "DISABLED"}}})
    deadline = time.time() + 60
    while time.time() < deadline:
        r = s3.get_bucket_metadata_configuration(Bucket=BUCKET)
        res = r["GetBucketMetadataConfigurationResult"]
        st = res["MetadataConfigurationResult"][
            "JournalTableConfigurationResult"]["TableStatus"]
        if st == "ACTIVE":
            print("metadata configuration of bucket %s: ACTIVE" % BUCKET)
            return 0
        if st == "FAILED":
            break
        time.sleep(0.5)
    print("bench/journal: journal table not ACTIVE (%s)" % st)
    return 1


def copies(port, n):
    import boto3
    from botocore.config import Config

    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port,
                      aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                      region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"},
                                    max_pool_connections=16))
    s3.put_object(Bucket=BUCKET, Key="copy-source", Body=b"x" * 1000,
                  Tagging="a=1")

    def run(lo, hi):
        for i in range(lo, hi):
            s3.copy_object(Bucket=BUCKET, Key="copy-%d" % i,
                           CopySource={"Bucket": BUCKET,
                                       "Key": "copy-source"})

    ts = [threading.Thread(target=run, args=(k * n // 8, (k + 1) * n // 8))
          for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return 0


def ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK     # utime + stime


def helper(master, old=0):
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == old:
            continue
        pid = int(d)
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                title = f.read().split(b"\0")[0].strip()
            if title != b"nginx: icetap journal":
                continue
            p = pid
            for _ in range(3):
                p = ppid(p)
                if p == master:
                    return pid
        except (OSError, ValueError, IndexError):
            continue
    return 0


def status(wal):
    try:
        with open(os.path.join(wal, "journal.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None, None
    for t in doc.get("tables", []):
        if t["bucket"] == BUCKET:
            return doc, t
    return doc, None


def drain(wal, master, old, min_rows, timeout):
    t0 = time.monotonic()
    pid = 0
    while time.monotonic() - t0 < timeout:
        pid = pid or helper(master, old)
        doc, t = status(wal)
        if pid and doc and doc["pid"] == pid and t and t["error"] == "" \
                and t["rows"] >= min_rows and t["records_behind"] == 0:
            print("%d %.2f %.1f" % (t["rows"], cpu_seconds(pid),
                                    time.monotonic() - t0))
            return 0
        time.sleep(0.2)
    doc, t = status(wal)
    sys.stderr.write("bench/journal: backlog not drained in %ds: %s\n"
                     % (timeout, json.dumps(t)))
    return 1


def fresh(wal, port, rate, secs, timeout):
    acks = []
    seen = []           # (monotonic time, committed rows since start)
    stop = threading.Event()

    doc, t = status(wal)
    base = t["rows"] if t else 0

    def poll():
        last = base
        while not stop.is_set():
            doc, t = status(wal)
            if t and t["rows"] != last:
                last = t["rows"]
                seen.append((time.monotonic(), last - base))
            time.sleep(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = b"y" * 100
    n = int(rate * secs)
    start = time.monotonic()
    late = 0
    for i in range(n):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif now - due > 0.1:
            late += 1
        for attempt in (1, 2):      # a closed keep-alive: reconnect once
            try:
                if i % 5 == 4:
                    conn.request("DELETE", "/%s/f/k%d" % (BUCKET, i - 1))
                else:
                    conn.request("PUT", "/%s/f/k%d" % (BUCKET, i), body)
                r = conn.getresponse()
                r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                conn.close()
                if attempt == 2:
                    raise
        if r.status // 100 != 2:
            sys.stderr.write("bench/journal: status %d\n" % r.status)
            return 1
        acks.append(time.monotonic())
    elapsed = acks[-1] - start

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (not seen or seen[-1][1] < n):
        time.sleep(0.1)
    stop.set()
    poller.join()

    if not seen or seen[-1][1] < n:
        sys.stderr.write("bench/journal: only %d of %d rows committed\n"
                         % (seen[-1][1] if seen else 0, n))
        return 1

    # the k-th acknowledged mutation is visible once k rows are committed
    delays = []
    j = 0
    for k, ack in enumerate(acks, 1):
        while seen[j][1] < k:
            j += 1
        delays.append(max(0.0, seen[j][0] - ack))
    delays.sort()
    pct = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))]
    print("%d %.1f %.3f %.3f %.3f %d %d" % (n, n / elapsed, pct(0.50),
                                            pct(0.99), delays[-1],
                                            len(seen), late))
    return 0


def main(argv):
    cmd = argv[1]
    a = [int(x) if x.isdigit() else x for x in argv[2:]]
    if cmd == "setup":
        return setup(*a)
    if cmd == "helper":
        print(helper(*a))
        return 0
    if cmd == "drain":
        return drain(*a)
    if cmd == "fresh":
        return fresh(*a)
    if cmd == "copies":
        return copies(*a)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
