"""The policy matrix of the S3 Tables API (t/061-s3tables-policy.t).

usage: s3tables_policy.py

Keys and configuration rules (see the .t file): the harness key is an
administrator; READER may Get* on buckets named pub* and List*
everywhere; WRITER may do anything on buckets named work* except
DeleteTableBucket; OTHER has no rule; anybody may GetTableBucket on
public-anon; nobody may DeleteTable in locked.  Resource policies on the
bucket "shared" and its table add and remove rights.  Each case is one
request with the expected outcome.  Prints {"checks": [...]}.
"""

import json
import os
import time
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from s3tables_test import (arn, call, check, done, ensure_state, ok,
                           tables)

READER = ("AKIAREADER0000000000", "reader-secret-0000000000000000000000000")
WRITER = ("AKIAWRITER0000000000", "writer-secret-0000000000000000000000000")
OTHER = ("AKIAOTHER00000000000", "other-secret-00000000000000000000000000")
ADMIN = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])

ensure_state()

admin = tables()
reader = tables(key=READER[0], secret=READER[1])
writer = tables(key=WRITER[0], secret=WRITER[1])
other = tables(key=OTHER[0], secret=OTHER[1])
anon = tables(signed=False)

# the world, made by the administrator

table_arn = {}
for b in ("pub-data", "work-a", "shared", "locked", "public-anon",
          "private"):
    ok("setup: bucket " + b, admin.create_table_bucket, name=b)
    ok("setup: namespace in " + b, admin.create_namespace,
       tableBucketARN=arn(b), namespace=["ns"])
    r = ok("setup: table in " + b, admin.create_table,
           tableBucketARN=arn(b), namespace="ns", name="t",
           format="ICEBERG")
    table_arn[b] = r and r["tableARN"]

S = arn("shared")
ST = table_arn["shared"]

ok("setup: bucket policy of shared", admin.put_table_bucket_policy,
   tableBucketARN=S, resourcePolicy=json.dumps({
       "Version": "2012-10-17", "Statement": [
           {"Effect": "Allow", "Principal": {"AWS": OTHER[0]},
            "Action": ["s3tables:GetTableBucket", "s3tables:ListNamespaces",
                       "s3tables:GetNamespace"],
            "Resource": S},
           {"Effect": "Deny", "Principal": {"AWS": [WRITER[0]]},
            "Action": "s3tables:*", "Resource": [S, S + "/table/*"]},
           {"Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::111122223333:user/"
                          + ADMIN[0]},
            "Action": "s3tables:DeleteNamespace", "Resource": S}]}))
ok("setup: table policy of shared/ns/t", admin.put_table_policy,
   tableBucketARN=S, namespace="ns", name="t", resourcePolicy=json.dumps({
       "Statement": [
           {"Effect": "Allow", "Principal": "*",
            "Action": "s3tables:GetTable", "Resource": ST},
           {"Effect": "Allow", "Principal": {"AWS": OTHER[0]},
            "Action": "s3tables:GetTableMetadataLocation",
            "Resource": ST},
           {"Effect": "Deny", "Principal": {"AWS": ADMIN[0]},
            "Action": "s3tables:UpdateTableMetadataLocation",
            "Resource": ST}]}))

loc = admin.get_table_metadata_location(tableBucketARN=arn("work-a"),
                                        namespace="ns", name="t")
sloc = admin.get_table_metadata_location(tableBucketARN=S, namespace="ns",
                                         name="t")

D = "AccessDeniedException"


def case(_n, _who, _what, _expect, _fn, **kw):
    r, e = call(_fn, **kw)
    got = "ok" if e is None else "%s %d" % (e[0], e[1])
    check("%02d %s: %s -> %s" % (_n, _who, _what, _expect), got == _expect,
          {"got": got, "error": e})


def T(b, **kw):
    d = {"tableBucketARN": arn(b), "namespace": "ns", "name": "t"}
    d.update(kw)
    return d


A403 = D + " 403"

# the administrator: everything, but for explicit denies

case(1, "admin", "ListTableBuckets", "ok", admin.list_table_buckets)
case(2, "admin", "GetTableBucket private", "ok", admin.get_table_bucket,
     tableBucketARN=arn("private"))
case(3, "admin", "DeleteTable in locked (config deny *)", A403,
     admin.delete_table, **T("locked"))
case(4, "admin", "UpdateTableMetadataLocation shared (table policy deny)",
     A403, admin.update_table_metadata_location,
     versionToken=sloc["versionToken"],
     metadataLocation=sloc["warehouseLocation"]
     + "/metadata/00001-a.metadata.json", **T("shared"))
case(5, "admin", "GetTable shared", "ok", admin.get_table, **T("shared"))
case(6, "admin", "DeleteNamespace shared (bucket policy deny by user ARN)",
     A403, admin.delete_namespace, tableBucketARN=S, namespace="ns")

# READER: Get* on pub*, List* everywhere

case(7, "reader", "GetTableBucket pub-data", "ok", reader.get_table_bucket,
     tableBucketARN=arn("pub-data"))
case(8, "reader", "GetNamespace pub-data", "ok", reader.get_namespace,
     tableBucketARN=arn("pub-data"), namespace="ns")
case(9, "reader", "GetTable pub-data", "ok", reader.get_table,
     **T("pub-data"))
case(10, "reader", "ListTableBuckets", "ok", reader.list_table_buckets)
case(11, "reader", "ListTables private (List* on *)", "ok",
     reader.list_tables, tableBucketARN=arn("private"))
case(12, "reader", "CreateNamespace pub-data", A403,
     reader.create_namespace, tableBucketARN=arn("pub-data"),
     namespace=["mine"])
case(13, "reader", "DeleteTable pub-data", A403, reader.delete_table,
     **T("pub-data"))
case(14, "reader", "GetTableBucket private", A403, reader.get_table_bucket,
     tableBucketARN=arn("private"))
case(15, "reader", "GetTable private", A403, reader.get_table,
     **T("private"))
case(16, "reader", "PutTableBucketPolicy pub-data", A403,
     reader.put_table_bucket_policy, tableBucketARN=arn("pub-data"),
     resourcePolicy='{"Statement":{"Effect":"Allow","Principal":"*",'
     '"Action":"*","Resource":"*"}}')

# WRITER: everything on work*, but DeleteTableBucket

case(17, "writer", "CreateNamespace work-a", "ok", writer.create_namespace,
     tableBucketARN=arn("work-a"), namespace=["ns2"])
case(18, "writer", "CreateTable work-a", "ok", writer.create_table,
     tableBucketARN=arn("work-a"), namespace="ns2", name="t2",
     format="ICEBERG")
case(19, "writer", "UpdateTableMetadataLocation work-a", "ok",
     writer.update_table_metadata_location,
     versionToken=loc["versionToken"],
     metadataLocation=loc["warehouseLocation"]
     + "/metadata/00001-w.metadata.json", **T("work-a"))
case(20, "writer", "DeleteTable work-a", "ok", writer.delete_table,
     tableBucketARN=arn("work-a"), namespace="ns2", name="t2")
case(21, "writer", "DeleteTableBucket work-a (config deny)", A403,
     writer.delete_table_bucket, tableBucketARN=arn("work-a"))
case(22, "writer", "CreateTableBucket work-b", "ok",
     writer.create_table_bucket, name="work-b")
case(23, "writer", "CreateTableBucket elsewhere", A403,
     writer.create_table_bucket, name="elsewhere")
case(24, "writer", "GetTableBucket shared (bucket policy deny)", A403,
     writer.get_table_bucket, tableBucketARN=S)
case(25, "writer", "ListTableBuckets (resource bucket/*)", A403,
     writer.list_table_buckets)
case(26, "writer", "GetTable shared (bucket policy deny beats allow *)",
     A403, writer.get_table, **T("shared"))

# OTHER: only what resource policies give

case(27, "other", "GetTableBucket shared", "ok", other.get_table_bucket,
     tableBucketARN=S)
case(28, "other", "ListNamespaces shared", "ok", other.list_namespaces,
     tableBucketARN=S)
case(29, "other", "GetTableMetadataLocation shared/ns/t", "ok",
     other.get_table_metadata_location, **T("shared"))
case(30, "other", "GetTable shared/ns/t (Principal *)", "ok",
     other.get_table, **T("shared"))
case(31, "other", "DeleteTable shared/ns/t", A403, other.delete_table,
     **T("shared"))
case(32, "other", "GetTableBucket pub-data", A403, other.get_table_bucket,
     tableBucketARN=arn("pub-data"))
case(33, "other", "PutTableBucketPolicy shared", A403,
     other.put_table_bucket_policy, tableBucketARN=S,
     resourcePolicy='{"Statement":{"Effect":"Allow","Principal":"*",'
     '"Action":"*","Resource":"*"}}')
case(34, "other", "ListTables shared (not granted)", A403,
     other.list_tables, tableBucketARN=S)

# nobody signed

case(35, "anonymous", "GetTableBucket public-anon (config *)", "ok",
     anon.get_table_bucket, tableBucketARN=arn("public-anon"))
case(36, "anonymous", "ListTableBuckets", A403, anon.list_table_buckets)
case(37, "anonymous", "GetTable shared (table policy *)", "ok",
     anon.get_table, **T("shared"))
case(38, "anonymous", "GetTableMetadataLocation shared", A403,
     anon.get_table_metadata_location, **T("shared"))
case(39, "anonymous", "CreateTableBucket", A403, anon.create_table_bucket,
     name="anon-bucket")
case(40, "anonymous", "GetTableBucket absent (no existence leak)", A403,
     anon.get_table_bucket, tableBucketARN=arn("absent"))
case(41, "other", "GetTable absent table in shared (no leak)", A403,
     other.get_table, tableBucketARN=S, namespace="ns", name="nothing")

# signatures

case(42, "wrong secret", "ListTableBuckets", "ForbiddenException 403",
     tables(key=READER[0], secret="wrong").list_table_buckets)
case(43, "unknown key", "ListTableBuckets", "ForbiddenException 403",
     tables(key="AKIANOBODY0000000000", secret="x").list_table_buckets)
case(44, "admin in another region", "ListTableBuckets",
     "BadRequestException 400",
     tables(region="eu-west-1").list_table_buckets)


def fetch(url, method="GET", headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(
                url, method=method, headers=headers or {})) as r:
            return r.status, json.loads(r.read() or b"{}"), None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), \
            e.headers.get("x-amzn-ErrorType")


url = reader.generate_presigned_url(
    "get_table_bucket", Params={"tableBucketARN": arn("pub-data")},
    ExpiresIn=300)
st, body, _ = fetch(url)
check("45 reader: presigned GetTableBucket pub-data -> 200",
      st == 200 and body.get("name") == "pub-data", (st, body))
url = reader.generate_presigned_url(
    "get_table_bucket", Params={"tableBucketARN": arn("private")},
    ExpiresIn=300)
st, body, t = fetch(url)
check("46 reader: presigned GetTableBucket private -> 403",
      st == 403 and t == D, (st, body, t))
url = reader.generate_presigned_url(
    "get_table_bucket", Params={"tableBucketARN": arn("pub-data")},
    ExpiresIn=1)
time.sleep(2)
st, body, t = fetch(url)
check("47 reader: expired presigned URL -> 403 ForbiddenException",
      st == 403 and t == "ForbiddenException"
      and "expired" in body.get("message", ""), (st, body, t))

# a request signed with the signing name "s3"


def signed_as_s3(key, secret, path):
    req = botocore.awsrequest.AWSRequest(
        method="GET", url=tables().meta.endpoint_url + path)
    botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(key, secret), "s3",
        "us-east-1").add_auth(req)
    return fetch(req.url, headers=dict(req.headers.items()))


st, body, t = signed_as_s3(READER[0], READER[1], "/buckets")
check("48 reader: signed as s3, ListTableBuckets -> 200",
      st == 200 and "tableBuckets" in body, (st, body, t))
st, body, t = signed_as_s3(READER[0], "wrong", "/buckets")
check("49 reader: signed as s3 with a wrong secret -> 403",
      st == 403 and t == "ForbiddenException", (st, body, t))

req = botocore.awsrequest.AWSRequest(
    method="GET", url=tables().meta.endpoint_url + "/buckets")
botocore.auth.S3SigV4QueryAuth(
    botocore.credentials.Credentials(READER[0], READER[1]), "s3",
    "us-east-1", expires=300).add_auth(req)
st, body, t = fetch(req.url)
check("50 reader: presigned as s3, ListTableBuckets -> 200",
      st == 200 and "tableBuckets" in body, (st, body, t))

done()
