"""Streams a large object through an endpoint without holding it in memory:
PUT with Content-Length from a generator, then GET and hash the stream.

usage: big_object.py gw|s3 BUCKET KEY SIZE_MB
Prints JSON {"put": status, "get": status, "size": n, "md5_ok": bool,
"etag_ok": bool}.
"""

import hashlib
import http.client
import json
import sys

import icetap_test as it

CHUNK = 1024 * 1024


def pattern(i):
    # deterministic, not compressible into a trivial pattern per MiB
    return hashlib.sha256(b"%d" % i).digest() * (CHUNK // 32)


def main():
    target, bucket, key, size_mb = sys.argv[1], sys.argv[2], sys.argv[3], \
        int(sys.argv[4])
    port = it.port(target)
    want = hashlib.md5()

    def body():
        for i in range(size_mb):
            b = pattern(i)
            want.update(b)
            yield b

    base = "http://127.0.0.1:%d" % port
    path = "/%s/%s" % (bucket, key)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    c.request("PUT", "/" + bucket, body=b"",
              headers=it.signed_headers("PUT", base + "/" + bucket))
    r = c.getresponse()
    r.read()

    c.putrequest("PUT", path)
    c.putheader("Content-Length", str(size_mb * CHUNK))
    for k, v in it.signed_headers("PUT", base + path).items():
        c.putheader(k, v)
    c.endheaders()
    for b in body():
        c.send(b)
    r = c.getresponse()
    put_status = r.status
    etag = r.getheader("ETag", "").strip('"')
    r.read()

    c.request("GET", path, headers=it.signed_headers("GET", base + path))
    r = c.getresponse()
    got = hashlib.md5()
    n = 0
    while True:
        b = r.read(CHUNK)
        if not b:
            break
        got.update(b)
        n += len(b)

    json.dump({"put": put_status, "get": r.status, "size": n,
               "md5_ok": got.hexdigest() == want.hexdigest(),
               "etag_ok": etag == want.hexdigest()}, sys.stdout)


if __name__ == "__main__":
    main()
