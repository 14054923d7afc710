"""boto3 scenarios of the S3 data plane, run once through the gateway and
once against the store directly; the Perl suite compares the two outputs.

usage: s3_scenarios.py TARGET STYLE PREFIX GROUP...
    TARGET  gw (through nginx + icetap) or s3 (the store directly)
    STYLE   path or virtual (bucket in the Host name)
    PREFIX  bucket name prefix of this run (replaced by BKT in the output)
    GROUP   objects copy keys list delete versioning multipart tagging
            presigned chunked

Prints a JSON list of [step, outcome] (see icetap_test.Recorder).
"""

import datetime
import hashlib
import io
import sys
import urllib.error
import urllib.request

import icetap_test as it

MIB = 1024 * 1024


def objects(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    r.step("put", c.put_object, Bucket=b, Key="a.txt",
           Body=b"hello world, hello gateway", ContentType="text/x-test",
           CacheControl="max-age=60", ContentDisposition="inline",
           Metadata={"color": "blue", "Mixed-Case": "Value with spaces"},
           Tagging="k1=v1&k2=v%202")
    r.step("head", c.head_object, Bucket=b, Key="a.txt")
    r.step("get", c.get_object, Bucket=b, Key="a.txt")
    etag = c.head_object(Bucket=b, Key="a.txt")["ETag"]

    for rng in ("bytes=0-4", "bytes=6-10", "bytes=-7", "bytes=20-",
                "bytes=100-200"):
        r.step("range " + rng, c.get_object, Bucket=b, Key="a.txt",
               Range=rng)

    future = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)

    for op in (c.get_object, c.head_object):
        n = op.__name__
        r.step(n + " if-match ok", op, Bucket=b, Key="a.txt", IfMatch=etag)
        r.step(n + " if-match 412", op, Bucket=b, Key="a.txt",
               IfMatch='"00000000000000000000000000000000"')
        r.step(n + " if-none-match 304", op, Bucket=b, Key="a.txt",
               IfNoneMatch=etag)
        r.step(n + " if-none-match ok", op, Bucket=b, Key="a.txt",
               IfNoneMatch='"00000000000000000000000000000000"')
        r.step(n + " if-modified-since 304", op, Bucket=b, Key="a.txt",
               IfModifiedSince=future)
        r.step(n + " if-modified-since ok", op, Bucket=b, Key="a.txt",
               IfModifiedSince=past)
        r.step(n + " if-unmodified-since 412", op, Bucket=b, Key="a.txt",
               IfUnmodifiedSince=past)

    r.step("put if-none-match * existing", c.put_object, Bucket=b,
           Key="a.txt", Body=b"x", IfNoneMatch="*")
    r.step("put if-none-match * new", c.put_object, Bucket=b,
           Key="new.txt", Body=b"x", IfNoneMatch="*")
    r.step("put empty", c.put_object, Bucket=b, Key="empty", Body=b"")
    r.step("get empty", c.get_object, Bucket=b, Key="empty")
    r.step("get missing", c.get_object, Bucket=b, Key="missing")
    r.step("head missing", c.head_object, Bucket=b, Key="missing")
    r.step("get no bucket", c.get_object, Bucket=b + "-none", Key="x")
    r.step("put no bucket", c.put_object, Bucket=b + "-none", Key="x",
           Body=b"x")
    data = bytes(range(256)) * 4096
    r.step("put binary 1m", c.put_object, Bucket=b, Key="bin", Body=data)
    g = c.get_object(Bucket=b, Key="bin")["Body"].read()
    r.note("binary roundtrip", hashlib.md5(g).hexdigest()
           == hashlib.md5(data).hexdigest())
    r.step("head bucket", c.head_bucket, Bucket=b)
    r.step("bucket location", c.get_bucket_location, Bucket=b)


def copy(c, r, b):
    bv = b + "-cv"
    r.step("create", c.create_bucket, Bucket=b)
    r.step("create versioned", c.create_bucket, Bucket=bv)
    r.step("versioning on", c.put_bucket_versioning, Bucket=bv,
           VersioningConfiguration={"Status": "Enabled"})
    r.step("put src", c.put_object, Bucket=b, Key="src", Body=b"source",
           Metadata={"orig": "yes"}, ContentType="text/plain")
    r.step("copy COPY", c.copy_object, Bucket=b, Key="dst1",
           CopySource={"Bucket": b, "Key": "src"})
    r.step("head dst1", c.head_object, Bucket=b, Key="dst1")
    r.step("copy REPLACE", c.copy_object, Bucket=b, Key="dst2",
           CopySource={"Bucket": b, "Key": "src"},
           MetadataDirective="REPLACE", Metadata={"new": "meta"},
           ContentType="application/x-new")
    r.step("head dst2", c.head_object, Bucket=b, Key="dst2")
    r.step("copy onto itself REPLACE", c.copy_object, Bucket=b, Key="src",
           CopySource={"Bucket": b, "Key": "src"},
           MetadataDirective="REPLACE", Metadata={"orig": "replaced"})
    r.step("head src", c.head_object, Bucket=b, Key="src")
    r.step("copy missing", c.copy_object, Bucket=b, Key="dst3",
           CopySource={"Bucket": b, "Key": "nope"})
    r.step("copy tagging REPLACE", c.copy_object, Bucket=b, Key="dst4",
           CopySource={"Bucket": b, "Key": "src"},
           TaggingDirective="REPLACE", Tagging="t=1")
    r.step("tags dst4", c.get_object_tagging, Bucket=b, Key="dst4")
    v1 = c.put_object(Bucket=bv, Key="k", Body=b"version one")["VersionId"]
    c.put_object(Bucket=bv, Key="k", Body=b"version two")
    r.step("copy by versionId", c.copy_object, Bucket=b, Key="from-v1",
           CopySource={"Bucket": bv, "Key": "k", "VersionId": v1})
    r.step("get from-v1", c.get_object, Bucket=b, Key="from-v1")
    r.step("copy if-match 412", c.copy_object, Bucket=b, Key="dst5",
           CopySource={"Bucket": b, "Key": "src"},
           CopySourceIfMatch='"00000000000000000000000000000000"')
    r.step("copy cross bucket", c.copy_object, Bucket=bv, Key="copied",
           CopySource={"Bucket": b, "Key": "dst2"})
    r.step("get copied", c.get_object, Bucket=bv, Key="copied")


KEYS = [
    "dir/sub key with spaces.txt",
    "unicod\u00e9/\u043a\u043b\u044e\u0447/\u30ad\u30fc.txt",
    "double//slash",
    "//leading-slashes",
    "trailing/",
    "pct%20literal%",
    "plus+sign and space",
    "q?mark#hash&amp=eq;semi",
    "tilde~star*paren(x)!'quote",
    "dot/./key",
    "a/../b",
    "<xml>&\"",
    "x" * 900,
]


def keys(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    for i, k in enumerate(KEYS):
        r.step("put %d" % i, c.put_object, Bucket=b, Key=k,
               Body=("body of %d" % i).encode())
        r.step("head %d" % i, c.head_object, Bucket=b, Key=k)
        r.step("get %d" % i, c.get_object, Bucket=b, Key=k)
        r.step("tag %d" % i, c.put_object_tagging, Bucket=b, Key=k,
               Tagging={"TagSet": [{"Key": "i", "Value": str(i)}]})
        r.step("copy %d" % i, c.copy_object, Bucket=b, Key=k + ".copy",
               CopySource={"Bucket": b, "Key": k})
    r.step("list", c.list_objects_v2, Bucket=b)
    r.step("list url", c.list_objects_v2, Bucket=b, EncodingType="url")
    r.step("list v1", c.list_objects, Bucket=b)
    r.step("delete objects", c.delete_objects, Bucket=b,
           Delete={"Objects": [{"Key": k} for k in KEYS]})
    for i, k in enumerate(KEYS):
        r.step("delete copy %d" % i, c.delete_object, Bucket=b,
               Key=k + ".copy")
    r.step("list after", c.list_objects_v2, Bucket=b)


def listing(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    names = ["a/1", "a/2", "a/b/3", "a/b/4", "b/5", "c", "d/e/f/6",
             "zz", "a%", "a b"]
    for n in names:
        c.put_object(Bucket=b, Key=n, Body=n.encode())
    r.step("v2 all", c.list_objects_v2, Bucket=b)
    r.step("v2 prefix", c.list_objects_v2, Bucket=b, Prefix="a/")
    r.step("v2 delimiter", c.list_objects_v2, Bucket=b, Delimiter="/")
    r.step("v2 prefix+delimiter", c.list_objects_v2, Bucket=b,
           Prefix="a/", Delimiter="/")
    r.step("v2 start-after", c.list_objects_v2, Bucket=b, StartAfter="b")
    r.step("v2 fetch-owner", c.list_objects_v2, Bucket=b, FetchOwner=True,
           MaxKeys=1)
    token = None
    for page in range(6):
        kw = {"Bucket": b, "MaxKeys": 3}
        if token:
            kw["ContinuationToken"] = token
        out = r.step("v2 page %d" % page, c.list_objects_v2, **kw)
        res = c.list_objects_v2(**kw)
        token = res.get("NextContinuationToken")
        if not token:
            break
    marker = None
    for page in range(6):
        kw = {"Bucket": b, "MaxKeys": 4}
        if marker:
            kw["Marker"] = marker
        r.step("v1 page %d" % page, c.list_objects, **kw)
        res = c.list_objects(**kw)
        if not res.get("IsTruncated"):
            break
        marker = res["Contents"][-1]["Key"]
    r.step("v1 delimiter", c.list_objects, Bucket=b, Delimiter="/",
           Prefix="a/")
    r.step("v2 empty prefix match", c.list_objects_v2, Bucket=b,
           Prefix="nothing")
    r.step("list buckets", lambda: {
        "mine": sorted(x["Name"] for x in c.list_buckets()["Buckets"]
                       if x["Name"].startswith(b))})
    r.step("v2 missing bucket", c.list_objects_v2, Bucket=b + "-none")


def delete(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    for k in ("d1", "d2", "d3", "keep"):
        c.put_object(Bucket=b, Key=k, Body=k.encode())
    r.step("delete one", c.delete_object, Bucket=b, Key="d1")
    r.step("delete missing", c.delete_object, Bucket=b, Key="never")
    r.step("delete objects", c.delete_objects, Bucket=b, Delete={
        "Objects": [{"Key": "d2"}, {"Key": "d3"}, {"Key": "nope"}]})
    r.step("delete objects quiet", c.delete_objects, Bucket=b, Delete={
        "Objects": [{"Key": "keep"}], "Quiet": True})
    r.step("list", c.list_objects_v2, Bucket=b)
    r.step("delete bucket", c.delete_bucket, Bucket=b)
    r.step("delete bucket again", c.delete_bucket, Bucket=b)


def versioning(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    r.step("get versioning new", c.get_bucket_versioning, Bucket=b)
    r.step("put unversioned", c.put_object, Bucket=b, Key="k", Body=b"v0")
    r.step("enable", c.put_bucket_versioning, Bucket=b,
           VersioningConfiguration={"Status": "Enabled"})
    r.step("get versioning", c.get_bucket_versioning, Bucket=b)
    v1 = r.step("put v1", c.put_object, Bucket=b, Key="k", Body=b"v1")
    v2 = r.step("put v2", c.put_object, Bucket=b, Key="k", Body=b"v2!")
    real = c.list_object_versions(Bucket=b, Prefix="k")["Versions"]
    ids = {x["Size"]: x["VersionId"] for x in real}
    r.step("get v1 by id", c.get_object, Bucket=b, Key="k",
           VersionId=ids[2])
    r.step("head null version", c.head_object, Bucket=b, Key="k",
           VersionId="null")
    r.step("delete -> marker", c.delete_object, Bucket=b, Key="k")
    r.step("get after delete", c.get_object, Bucket=b, Key="k")
    r.step("head after delete", c.head_object, Bucket=b, Key="k")
    r.step("versions", c.list_object_versions, Bucket=b)
    r.step("versions paged", c.list_object_versions, Bucket=b, MaxKeys=2)
    marker = [m for m in c.list_object_versions(Bucket=b)
              .get("DeleteMarkers", [])][0]["VersionId"]
    r.step("delete marker by id", c.delete_object, Bucket=b, Key="k",
           VersionId=marker)
    r.step("get after marker removed", c.get_object, Bucket=b, Key="k")
    r.step("delete version v2", c.delete_object, Bucket=b, Key="k",
           VersionId=ids[3])
    r.step("get now v1", c.get_object, Bucket=b, Key="k")
    r.step("delete objects versioned", c.delete_objects, Bucket=b, Delete={
        "Objects": [{"Key": "k", "VersionId": ids[2]}, {"Key": "other"}]})
    r.step("suspend", c.put_bucket_versioning, Bucket=b,
           VersioningConfiguration={"Status": "Suspended"})
    r.step("get versioning suspended", c.get_bucket_versioning, Bucket=b)
    r.step("put suspended", c.put_object, Bucket=b, Key="s", Body=b"s1")
    r.step("put suspended again", c.put_object, Bucket=b, Key="s",
           Body=b"s2")
    r.step("versions after suspend", c.list_object_versions, Bucket=b)
    r.step("get bad version id", c.get_object, Bucket=b, Key="s",
           VersionId="notaversion")


def multipart(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    c.put_object(Bucket=b, Key="src", Body=b"S" * (6 * MIB))
    up = c.create_multipart_upload(Bucket=b, Key="mp", Metadata={"m": "1"},
                                   ContentType="application/x-mp")
    r.note("create upload", up)
    uid = up["UploadId"]
    p1 = r.step("part 1", c.upload_part, Bucket=b, Key="mp", UploadId=uid,
                PartNumber=1, Body=b"1" * (5 * MIB))
    p2 = r.step("part 2 copy", c.upload_part_copy, Bucket=b, Key="mp",
                UploadId=uid, PartNumber=2,
                CopySource={"Bucket": b, "Key": "src"},
                CopySourceRange="bytes=0-%d" % (5 * MIB))
    p3 = r.step("part 3", c.upload_part, Bucket=b, Key="mp", UploadId=uid,
                PartNumber=3, Body=b"tail")
    r.step("list parts", c.list_parts, Bucket=b, Key="mp", UploadId=uid)
    r.step("list parts paged", c.list_parts, Bucket=b, Key="mp",
           UploadId=uid, MaxParts=1)
    up2 = c.create_multipart_upload(Bucket=b, Key="mp2")["UploadId"]
    r.step("list uploads", c.list_multipart_uploads, Bucket=b)
    r.step("abort", c.abort_multipart_upload, Bucket=b, Key="mp2",
           UploadId=up2)
    r.step("abort again", c.abort_multipart_upload, Bucket=b, Key="mp2",
           UploadId=up2)
    r.step("list uploads after abort", c.list_multipart_uploads, Bucket=b)
    parts = []
    raw = c.list_parts(Bucket=b, Key="mp", UploadId=uid)["Parts"]
    for p in raw:
        parts.append({"PartNumber": p["PartNumber"], "ETag": p["ETag"]})
    r.step("complete bad etag", c.complete_multipart_upload, Bucket=b,
           Key="mp", UploadId=uid, MultipartUpload={"Parts": [
               {"PartNumber": 1, "ETag": '"0000"'}]})
    r.step("complete", c.complete_multipart_upload, Bucket=b, Key="mp",
           UploadId=uid, MultipartUpload={"Parts": parts})
    r.step("complete again", c.complete_multipart_upload, Bucket=b,
           Key="mp", UploadId=uid, MultipartUpload={"Parts": parts})
    r.step("head mp", c.head_object, Bucket=b, Key="mp")
    r.step("head mp part 3", c.head_object, Bucket=b, Key="mp",
           PartNumber=3)
    body = c.get_object(Bucket=b, Key="mp")["Body"].read()
    r.note("mp body", [len(body), hashlib.md5(body).hexdigest()])
    r.step("range across parts", c.get_object, Bucket=b, Key="mp",
           Range="bytes=%d-%d" % (5 * MIB - 2, 5 * MIB + 1))
    r.step("upload part no upload", c.upload_part, Bucket=b, Key="mp",
           UploadId="nosuchupload", PartNumber=1, Body=b"x")


def tagging(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    c.put_object(Bucket=b, Key="t", Body=b"t", Tagging="a=1")
    r.step("get tags", c.get_object_tagging, Bucket=b, Key="t")
    r.step("put tags", c.put_object_tagging, Bucket=b, Key="t", Tagging={
        "TagSet": [{"Key": "x", "Value": "1"},
                   {"Key": "y z", "Value": "with space & amp"}]})
    r.step("get tags 2", c.get_object_tagging, Bucket=b, Key="t")
    r.step("get tag count", c.get_object, Bucket=b, Key="t")
    r.step("delete tags", c.delete_object_tagging, Bucket=b, Key="t")
    r.step("get tags 3", c.get_object_tagging, Bucket=b, Key="t")
    r.step("put tags missing key", c.put_object_tagging, Bucket=b,
           Key="none", Tagging={"TagSet": [{"Key": "x", "Value": "1"}]})
    r.step("put too many tags", c.put_object_tagging, Bucket=b, Key="t",
           Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"}
                               for i in range(11)]})


def _http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as f:
            return {"status": f.status, "body": f.read().decode()}
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        code = body.split("<Code>")[1].split("<")[0] if "<Code>" in body \
            else None
        return {"status": e.code, "code": code}


def presigned(c, r, b):
    r.step("create", c.create_bucket, Bucket=b)
    c.put_object(Bucket=b, Key="p", Body=b"presigned body")
    url = c.generate_presigned_url("get_object", ExpiresIn=300,
                                   Params={"Bucket": b, "Key": "p"})
    r.note("presigned get", _http("GET", url))
    url = c.generate_presigned_url("put_object", ExpiresIn=300,
                                   Params={"Bucket": b, "Key": "pp"})
    # moto parses a form-encoded body (urllib's default type) as a form
    r.note("presigned put", _http("PUT", url, data=b"put via url", headers={
        "Content-Type": "application/octet-stream"}))
    r.step("get pp", c.get_object, Bucket=b, Key="pp")
    url = c.generate_presigned_url("get_object", ExpiresIn=300, Params={
        "Bucket": b, "Key": "p", "ResponseContentType": "x/y",
        "ResponseContentDisposition": "attachment; filename=\"a b.txt\""})
    r.note("presigned get override", _http("GET", url))
    url = c.generate_presigned_url("get_object", ExpiresIn=300,
                                   Params={"Bucket": b, "Key": "nope"})
    r.note("presigned get missing", _http("GET", url))
    post = c.generate_presigned_post(b, "posted")
    import uuid
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in post["fields"].items():
        parts.append("--%s\r\nContent-Disposition: form-data; name=\"%s\""
                     "\r\n\r\n%s\r\n" % (boundary, k, v))
    parts.append("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                 "filename=\"f\"\r\nContent-Type: text/plain\r\n\r\n"
                 "posted body\r\n--%s--\r\n" % (boundary, boundary))
    res = _http("POST", post["url"], data="".join(parts).encode(),
                headers={"Content-Type":
                         "multipart/form-data; boundary=" + boundary})
    res.pop("body", None)
    r.note("post object", res)
    r.step("get posted", c.get_object, Bucket=b, Key="posted")


class _Stream(io.RawIOBase):
    """A non-seekable body: boto3 cannot know its length in advance."""

    def __init__(self, data):
        self.d = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buf):
        x = self.d.read(len(buf))
        buf[:len(x)] = x
        return len(x)


def chunked(c, r, b):
    # boto3 sends flexible-checksum trailers (Content-Encoding:
    # aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER) only over TLS; the
    # scheme test is made to see https so the same code path runs over
    # the plain-HTTP test endpoints
    import botocore.httpchecksum as hc
    from urllib.parse import urlparse
    hc.urlparse = lambda u: urlparse(u)._replace(scheme="https")

    r.step("create", c.create_bucket, Bucket=b)
    data = b"0123456789abcdef" * 40000
    r.step("put stream", c.put_object, Bucket=b, Key="stream",
           Body=_Stream(data))
    r.step("put seekable", c.put_object, Bucket=b, Key="seek",
           Body=io.BytesIO(data))
    r.step("put sha256", c.put_object, Bucket=b, Key="sha",
           Body=io.BytesIO(b"sha body"), ChecksumAlgorithm="SHA256")
    for k in ("stream", "seek", "sha"):
        r.step("head " + k, c.head_object, Bucket=b, Key=k,
               ChecksumMode="ENABLED")
        body = c.get_object(Bucket=b, Key=k)["Body"].read()
        r.note("body " + k, [len(body), hashlib.md5(body).hexdigest()])
    c.upload_fileobj(io.BytesIO(data), b, "upload_fileobj")
    body = c.get_object(Bucket=b, Key="upload_fileobj")["Body"].read()
    r.note("upload_fileobj", body == data)
    from boto3.s3.transfer import TransferConfig
    big = b"m" * (12 * MIB)
    c.upload_fileobj(io.BytesIO(big), b, "mp_fileobj", Config=TransferConfig(
        multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB))
    r.step("head mp_fileobj", c.head_object, Bucket=b, Key="mp_fileobj")
    body = c.get_object(Bucket=b, Key="mp_fileobj")["Body"].read()
    r.note("mp_fileobj", body == big)


GROUPS = {
    "objects": objects, "copy": copy, "keys": keys, "list": listing,
    "delete": delete, "versioning": versioning, "multipart": multipart,
    "tagging": tagging, "presigned": presigned, "chunked": chunked,
}


def main():
    target, style, prefix = sys.argv[1:4]
    c = it.client(target, style)
    rec = it.Recorder(prefix)
    for g in sys.argv[4:]:
        rec.note("== " + g, g)
        GROUPS[g](c, rec, "%s-%s" % (prefix, g))
    rec.dump()


if __name__ == "__main__":
    main()
