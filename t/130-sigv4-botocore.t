# Requests signed by botocore (the signer of boto3 and the AWS CLI) in
# every form icetap must accept -- S3 header auth with signed and unsigned
# payloads, presigned URLs, session tokens, and the s3tables service with
# its double-encoded paths -- pass icetap's SigV4 verifier; tampered,
# expired, skewed, wrong-secret and unknown-key variants are refused with
# the right S3 error code.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $bin = "$build/unit/sigv4_botocore";

plan skip_all => "$bin not built (run make)" unless -x $bin;
system('python3 -c "import botocore" 2>/dev/null') == 0
    or plan skip_all => 'python3 botocore not installed';

my $dir = tempdir(CLEANUP => 1);

open my $py, '>', "$dir/gen.py" or die;
print $py <<'PY';
import hashlib, sys, time
from urllib.parse import urlsplit, quote
from botocore.auth import (SigV4Auth, S3SigV4Auth, S3SigV4QueryAuth)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AK, SK = "AKIAICETAPEXAMPLE1", "s3cr3t/Key+With/Slashes+AndPluses0123"
TOKEN = "FwoGZXIvYXdzEXAMPLE//+token=="
out = open(sys.argv[1], "w")
out.write("key\t%s\t%s\n" % (AK, SK))
out.write("key\tAKIAOTHERKEY\tanother-secret\n")


def emit(name, expect, s3, req, now=None, payload=None, mutate=None):
    p = req.prepare()
    u = urlsplit(p.url)
    headers = [(k, v) for k, v in p.headers.items()]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.append(("Host", u.netloc))
    rec = {"method": p.method, "path": u.path, "query": u.query,
           "headers": headers, "payload": payload}
    if mutate:
        mutate(rec)
    out.write("case\t%s\t%s\t%d\t%d\n" % (name, expect, s3,
                                           now or int(time.time())))
    out.write("method\t%s\n" % rec["method"])
    out.write("path\t%s\n" % rec["path"])
    if rec["query"]:
        out.write("query\t%s\n" % rec["query"])
    for k, v in rec["headers"]:
        v = v.decode() if isinstance(v, bytes) else v
        out.write("header\t%s\t%s\n" % (k, v))
    if rec["payload"]:
        out.write("payload\t%s\n" % rec["payload"])
    out.write("end\n")


def s3req(method, key, query="", body=b"", headers=None, scheme="http",
          creds=None, secret=None):
    url = "%s://127.0.0.1:9000/bucket/%s" % (scheme, quote(key, safe="/~"))
    if query:
        url += "?" + query
    r = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    S3SigV4Auth(creds or Credentials(AK, secret or SK), "s3",
                "us-east-1").add_auth(r)
    return r


def set_header(rec, name, value):
    rec["headers"] = [(k, value if k.lower() == name else v)
                      for k, v in rec["headers"]]


weird = "dir/a b+c$~!'()*,;=@&é.txt"

emit("s3 GET, key with reserved characters", "ok", 1, s3req("GET", weird))
emit("s3 PUT with body, metadata, content type", "ok", 1,
     s3req("PUT", "k/obj.json", body=b'{"a":1}',
           headers={"Content-Type": "application/json",
                    "x-amz-meta-owner": "icetap"}))
emit("s3 ListObjectsV2 query", "ok", 1,
     s3req("GET", "", "list-type=2&prefix=a%2Fb&delimiter=%2F&max-keys=5"))
emit("s3 GET subresource without value", "ok", 1,
     s3req("GET", "", "metadataConfiguration"))
emit("s3 https, UNSIGNED-PAYLOAD", "ok", 1,
     s3req("PUT", "u", body=b"x" * 100, scheme="https"))
emit("s3 session token", "ok", 1,
     s3req("GET", "t", creds=Credentials(AK, SK, TOKEN)))

r = AWSRequest(method="GET",
               url="http://127.0.0.1:9000/bucket/" + quote(weird, safe="/~"))
S3SigV4QueryAuth(Credentials(AK, SK), "s3", "us-east-1",
                 expires=3600).add_auth(r)
emit("s3 presigned GET", "ok", 1, r)
emit("s3 presigned GET, expired", "AccessDenied", 1, r,
     now=int(time.time()) + 3700)
emit("s3 presigned GET, other key", "SignatureDoesNotMatch", 1, r,
     mutate=lambda rec: rec.update(path=rec["path"] + "x"))

# the S3 Tables control plane signs as "s3tables", paths double-encoded
arn = "arn:aws:s3tables:us-east-1:111122223333:bucket/b1"
body = b'{"name":"ns1"}'
r = AWSRequest(method="PUT",
               url="http://127.0.0.1:9000/namespaces/" + quote(arn, safe=""),
               data=body, headers={"Content-Type": "application/x-amz-json-1.1"})
SigV4Auth(Credentials(AK, SK), "s3tables", "us-east-1").add_auth(r)
digest = hashlib.sha256(body).hexdigest()
emit("s3tables PUT, encoded ARN in the path", "ok", 0, r, payload=digest)
emit("s3tables PUT, other body", "SignatureDoesNotMatch", 0, r,
     payload=hashlib.sha256(b'{"name":"ns2"}').hexdigest())

r = AWSRequest(method="GET",
               url="http://127.0.0.1:9000/tables/" + quote(arn, safe="")
               + "/ns1?maxTables=10&continuationToken=a%2Bb")
SigV4Auth(Credentials(AK, SK), "s3tables", "us-east-1").add_auth(r)
emit("s3tables GET with query", "ok", 0, r)

base = s3req("GET", "tamper/me", "versionId=3")
emit("tamper: path", "SignatureDoesNotMatch", 1, base,
     mutate=lambda rec: rec.update(path="/bucket/tamper/you"))
emit("tamper: query", "SignatureDoesNotMatch", 1, base,
     mutate=lambda rec: rec.update(query="versionId=4"))
emit("tamper: method", "SignatureDoesNotMatch", 1, base,
     mutate=lambda rec: rec.update(method="DELETE"))
emit("tamper: host", "SignatureDoesNotMatch", 1, base,
     mutate=lambda rec: rec.update(headers=[(k, v) for k, v in
                                            rec["headers"]
                                            if k.lower() != "host"]
                                   + [("Host", "evil:9000")]))
emit("tamper: content hash", "SignatureDoesNotMatch", 1, base,
     mutate=lambda rec: set_header(rec, "x-amz-content-sha256",
                                   "UNSIGNED-PAYLOAD"))
emit("wrong secret", "SignatureDoesNotMatch", 1,
     s3req("GET", "k", secret="not-the-secret"))
emit("unknown access key", "InvalidAccessKeyId", 1,
     s3req("GET", "k", creds=Credentials("AKIANOBODY", SK)))
emit("an hour late", "RequestTimeTooSkewed", 1, s3req("GET", "k"),
     now=int(time.time()) + 3600)
emit("anonymous", "AccessDenied", 1, s3req("GET", "k"),
     mutate=lambda rec: rec.update(headers=[(k, v) for k, v in
                                            rec["headers"]
                                            if k.lower() != "authorization"]))
out.close()
PY
close $py;

my $cases = "$dir/cases.tsv";
is(system('python3', "$dir/gen.py", $cases), 0, 'botocore signed the cases');

local $ENV{ICETAP_SIGV4_CASES} = $cases;
my @out = `'$bin' 2>&1`;
my $rc = $? >> 8;
my ($plan, $n) = (undef, 0);
for (@out) {
    chomp;
    if (/^(not )?ok \d+\s*-?\s*(.*)$/) {
        ok(!$1, $2);
        $n++;
    } elsif (/^1\.\.(\d+)/) {
        $plan = $1;
    } else {
        diag $_;
    }
}
ok(defined $plan && $plan == $n && $n >= 20, "verifier ran $n cases");
is($rc, 0, 'sigv4_botocore exits 0');

done_testing();
