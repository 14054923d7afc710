"""AWS CLI scenarios (aws s3 and aws s3api), run through the gateway or
against the store directly; output as in s3_scenarios.py.

usage: cli_scenarios.py TARGET STYLE PREFIX
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import icetap_test as it


def main():
    target, style, prefix = sys.argv[1:4]
    ep = it.endpoint(target, "path")
    rec = it.Recorder(prefix)
    canon = rec.canon
    work = os.path.join(os.environ["ICETAP_SERVROOT"], "cli-" + prefix)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "up", "sub dir"))
    b = prefix + "-cli"

    def files(d, entries):
        for name, data in entries.items():
            p = os.path.join(d, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)

    files(os.path.join(work, "up"), {
        "a.txt": b"alpha\n", "b.bin": bytes(range(256)) * 100,
        "sub dir/c d.txt": b"gamma\n", "uni\u00e9.txt": b"unicode\n"})
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as f:
        f.write(b"B" * (9 * 1024 * 1024))

    def aws(name, *args, parse=False):
        env = dict(os.environ)
        if args[0] == "s3" and args[1] in ("cp", "sync"):
            args = args[:2] + ("--no-progress",) + args[2:]
        p = subprocess.run(["aws", "--endpoint-url", ep] + list(args),
                           capture_output=True, env=env, timeout=300)
        out = p.stdout.decode("utf-8", "replace")
        if parse and p.returncode == 0 and out.strip():
            res = canon(json.loads(out))
        else:
            out = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?"
                         r"(\+00:00|Z)?", "<date>", out)
            # aws s3 prints "upload: ./x to s3://..." in completion order
            res = sorted(canon.text(out).splitlines())
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode:
            sys.stderr.write("%s: rc %d\n%s\n" % (name, p.returncode, err))
        code = re.search(r"\((\w+)\)", err) if p.returncode else None
        rec.note(name, {"rc": p.returncode, "out": res,
                        "error": code.group(1) if code else None})

    aws("mb", "s3", "mb", "s3://" + b)
    aws("cp up", "s3", "cp", os.path.join(work, "up", "a.txt"),
        "s3://%s/single/a.txt" % b)
    aws("cp big (multipart)", "s3", "cp", big, "s3://%s/big.bin" % b)
    aws("sync up", "s3", "sync", os.path.join(work, "up"),
        "s3://%s/synced/" % b)
    aws("ls", "s3", "ls", "s3://%s/" % b)
    aws("ls recursive", "s3", "ls", "--recursive", "s3://%s/" % b)
    aws("cp down", "s3", "cp", "s3://%s/big.bin" % b,
        os.path.join(work, "big.down"))
    with open(os.path.join(work, "big.down"), "rb") as f:
        rec.note("big roundtrip", hashlib.md5(f.read()).hexdigest()
                 == hashlib.md5(b"B" * (9 * 1024 * 1024)).hexdigest())
    aws("sync down", "s3", "sync", "s3://%s/synced/" % b,
        os.path.join(work, "down"))
    same = all(open(os.path.join(work, "up", n), "rb").read()
               == open(os.path.join(work, "down", n), "rb").read()
               for n in ("a.txt", "b.bin", "sub dir/c d.txt",
                         "uni\u00e9.txt"))
    rec.note("sync roundtrip", same)
    aws("s3api head-object", "s3api", "head-object", "--bucket", b,
        "--key", "synced/sub dir/c d.txt", parse=True)
    aws("s3api put-object", "s3api", "put-object", "--bucket", b,
        "--key", "api/x", "--body", os.path.join(work, "up", "a.txt"),
        "--metadata", "k=v,k2=v2", "--tagging", "t=1", parse=True)
    aws("s3api get-object-tagging", "s3api", "get-object-tagging",
        "--bucket", b, "--key", "api/x", parse=True)
    aws("s3api list-objects-v2", "s3api", "list-objects-v2", "--bucket", b,
        "--prefix", "synced/", "--delimiter", "/", parse=True)
    aws("s3api copy-object", "s3api", "copy-object", "--bucket", b,
        "--key", "api/y", "--copy-source", b + "/api/x", parse=True)
    aws("s3api get-object missing", "s3api", "get-object", "--bucket", b,
        "--key", "nope", os.path.join(work, "nope"))
    aws("rm one", "s3", "rm", "s3://%s/single/a.txt" % b)
    aws("rm recursive", "s3", "rm", "--recursive", "s3://%s/" % b)
    aws("ls empty", "s3", "ls", "s3://%s/" % b)
    aws("rb", "s3", "rb", "s3://" + b)

    rec.dump()


if __name__ == "__main__":
    main()
