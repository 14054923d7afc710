"""Helpers of bench/inventory/run (see there).

  bench.py preload S3_PORT N          N objects in bucket "inv" (versioned),
                                      straight in the store, 16 threads
  bench.py raw S3_PORT THREADS        the store's own rate for what a
                                      backfill does: ListObjectVersions, then
                                      HEAD + GET ?tagging of every version by
                                      THREADS threads; prints objects/s
  bench.py enable GW_PORT             the metadata configuration of "inv"
                                      with the inventory ENABLED
  bench.py wait WAL_DIR STATUS TIMEOUT
                                      until inventory.json shows "inv" with
                                      STATUS and no records behind; prints
                                      the table's entry as JSON
  bench.py changes GW_PORT N THREADS  N tag changes and overwrites through
                                      the gateway
"""

import http.client
import json
import os
import sys
import threading
import time
import xml.etree.ElementTree as ET

KEY, SECRET = "AKIADEMO00000000000", "demo-secret"
BUCKET = "inv"
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def client(port):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port,
                        aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      max_pool_connections=32))


def parallel(n, fn):
    ts = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def preload(port, n):
    s3 = client(port)
    for b in (BUCKET, "icetap-state"):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={
        "Status": "Enabled"})

    def put(t):
        c = client(port)
        for i in range(t, n, 16):
            c.put_object(Bucket=BUCKET, Key="obj/%08d" % i, Body=b"x" * 100,
                         Tagging="i=%d" % i)
    parallel(16, put)


def raw(port, threads):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    items, km, vm = [], None, None
    t0 = time.time()
    while True:
        q = "/%s?versions=&max-keys=1000" % BUCKET
        if km:
            q += "&key-marker=%s&version-id-marker=%s" % (km, vm)
        conn.request("GET", q)
        root = ET.fromstring(conn.getresponse().read())
        for v in root.findall(NS + "Version"):
            items.append((v.find(NS + "Key").text,
                          v.find(NS + "VersionId").text))
        if root.find(NS + "IsTruncated").text != "true":
            break
        km = root.find(NS + "NextKeyMarker").text
        vm = root.find(NS + "NextVersionIdMarker").text

    def work(t):
        c = http.client.HTTPConnection("127.0.0.1", port)
        for k, v in items[t::threads]:
            c.request("HEAD", "/%s/%s?versionId=%s" % (BUCKET, k, v))
            c.getresponse().read()
            c.request("GET", "/%s/%s?tagging=&versionId=%s" % (BUCKET, k, v))
            c.getresponse().read()
    parallel(threads, work)
    dt = time.time() - t0
    print("%d %.3f %.1f" % (len(items), dt, len(items) / dt))


def enable(port):
    client(port).create_bucket_metadata_configuration(
        Bucket=BUCKET, MetadataConfiguration={
            "JournalTableConfiguration": {
                "RecordExpiration": {"Expiration": "DISABLED"}},
            "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"}})


def wait(wal, status, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            doc = json.load(open(os.path.join(wal, "inventory.json")))
        except (OSError, ValueError):
            doc = {}
        for t in doc.get("tables", []):
            if t["bucket"] == BUCKET and t["status"] == status \
                    and t["records_behind"] == 0 and not t["error"] \
                    and doc["updated_ms"] > start_ms + 1500:
                print(json.dumps(t))
                return 0
        time.sleep(0.2)
    return 1


def changes(port, n, threads):
    def work(t):
        c = client(port)
        for i in range(t, n, threads):
            k = "obj/%08d" % (i * 7 % max(n, 1))
            if i % 2:
                c.put_object_tagging(Bucket=BUCKET, Key=k, Tagging={
                    "TagSet": [{"Key": "c", "Value": str(i)}]})
            else:
                c.put_object(Bucket=BUCKET, Key=k, Body=b"y" * 50)
    parallel(threads, work)


start_ms = int(time.time() * 1000)

if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "preload":
        preload(int(a[0]), int(a[1]))
    elif cmd == "raw":
        raw(int(a[0]), int(a[1]))
    elif cmd == "enable":
        enable(int(a[0]))
    elif cmd == "wait":
        sys.exit(wait(a[0], a[1], float(a[2])))
    elif cmd == "changes":
        changes(int(a[0]), int(a[1]), int(a[2]))
