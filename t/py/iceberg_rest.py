"""An Iceberg REST client for the gateway's catalog, signed with SigV4
(signing name s3tables) by botocore, sending requests shaped as the Java
RESTCatalog and PyIceberg send them.

usage: iceberg_rest.py seed BUCKET [aws]      table bucket entry in the store
       iceberg_rest.py public-read             anonymous GETs of the store
       iceberg_rest.py commits BUCKET          the commit scenario (JSON out)
       iceberg_rest.py race BUCKET SECONDS CLIENTS
       iceberg_rest.py bad BUCKET              the bad-input matrix
       iceberg_rest.py managed DATA_BUCKET     the journal table, read-only
       iceberg_rest.py xapi                    S3 Tables API and REST together
       iceberg_rest.py bench BUCKET N          LoadTable/commit latencies

Table buckets are seeded straight into the store with the catalog layout
of include/icetap/catalog.h (the Iceberg REST API has no call that
creates one).
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from icetap_test import endpoint

STATE = os.environ.get("ICETAP_STATE_BUCKET", "icetap-state")
ACCOUNT = "111122223333"
REGION = "us-east-1"


def arn_of(bucket):
    return "arn:aws:s3tables:%s:%s:bucket/%s" % (REGION, ACCOUNT, bucket)


def store():
    cfg = Config(s3={"addressing_style": "path"},
                 retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client("s3", endpoint_url=endpoint("s3"),
                        region_name=REGION, config=cfg)


def listing():
    """Every key of the state bucket with its ETag (store, not gateway)."""
    s3 = store()
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=STATE):
        for o in page.get("Contents", []):
            out[o["Key"]] = o["ETag"]
    return out


class Rest:
    """Minimal catalog client: base URI .../iceberg, prefix from config."""

    def __init__(self, bucket, key=None, secret=None, signed=True):
        self.base = endpoint("gw") + "/iceberg"
        self.arn = arn_of(bucket)
        self.prefix = urllib.parse.quote(self.arn, safe="")
        self.signed = signed
        self.creds = Credentials(key or os.environ["AWS_ACCESS_KEY_ID"],
                                 secret or os.environ["AWS_SECRET_ACCESS_KEY"])

    def call(self, method, path, body=None, query=None, raw=None):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": "application/json"} if data else {}
        req = AWSRequest(method=method, url=url, data=data, headers=headers)
        if self.signed:
            SigV4Auth(self.creds, "s3tables", REGION).add_auth(req)
        r = urllib.request.Request(url, data=data, method=method,
                                   headers=dict(req.headers.items()))
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                text = resp.read()
                status = resp.status
        except urllib.error.HTTPError as e:
            text = e.read()
            status = e.code
        try:
            doc = json.loads(text) if text else None
        except ValueError:
            doc = {"raw": text.decode("latin-1")}
        return status, doc

    def p(self, rest):
        return "/v1/" + self.prefix + rest

    def config(self):
        return self.call("GET", "/v1/config", query={"warehouse": self.arn})

    def create_ns(self, ns):
        return self.call("POST", self.p("/namespaces"),
                         {"namespace": [ns], "properties": {}})

    def create_table(self, ns, body):
        return self.call("POST", self.p("/namespaces/%s/tables" % ns), body)

    def load(self, ns, t):
        return self.call("GET", self.p("/namespaces/%s/tables/%s" % (ns, t)))

    def commit(self, ns, t, requirements, updates):
        return self.call("POST", self.p("/namespaces/%s/tables/%s" % (ns, t)),
                         {"identifier": {"namespace": [ns], "name": t},
                          "requirements": requirements, "updates": updates})


SCHEMA = {"type": "struct", "schema-id": 0, "fields": [
    {"id": 1, "name": "id", "type": "long", "required": True},
    {"id": 2, "name": "name", "type": "string", "required": False},
    {"id": 3, "name": "ts", "type": "timestamptz", "required": False}]}


def seed(bucket, kind="customer"):
    s3 = store()
    try:
        s3.create_bucket(Bucket=STATE)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    doc = {"format": 1, "name": bucket, "arn": arn_of(bucket), "type": kind,
           "created_at_ms": int(time.time() * 1000)}
    s3.put_object(Bucket=STATE, Key="icetap/catalog/%s.json" % bucket,
                  Body=json.dumps(doc).encode(),
                  ContentType="application/json")


def validate(md, version):
    """Checks of the Iceberg table spec (sections on table metadata)."""
    errs = []

    def need(obj, keys, where):
        for k in keys:
            if k not in obj:
                errs.append("%s: %s missing" % (where, k))

    need(md, ["format-version", "table-uuid", "location",
              "last-sequence-number", "last-updated-ms", "last-column-id",
              "schemas", "current-schema-id", "partition-specs",
              "default-spec-id", "last-partition-id", "sort-orders",
              "default-sort-order-id"], "table")
    if version >= 3:
        need(md, ["next-row-id"], "table")
    if md.get("format-version") != version:
        errs.append("format-version %r" % md.get("format-version"))
    if len(md.get("table-uuid", "")) != 36:
        errs.append("table-uuid")

    def ids(t):
        if isinstance(t, dict):
            if t.get("type") == "struct":
                for f in t["fields"]:
                    yield f["id"]
                    yield from ids(f["type"])
            elif t.get("type") == "list":
                yield t["element-id"]
                yield from ids(t["element"])
            elif t.get("type") == "map":
                yield t["key-id"]
                yield t["value-id"]
                yield from ids(t["key"])
                yield from ids(t["value"])

    sids = [s["schema-id"] for s in md["schemas"]]
    if len(set(sids)) != len(sids):
        errs.append("duplicate schema ids")
    if md["current-schema-id"] not in sids:
        errs.append("current schema missing")
    for s in md["schemas"]:
        if max(list(ids(s)) or [0]) > md["last-column-id"]:
            errs.append("schema %d above last-column-id" % s["schema-id"])
    specs = [s["spec-id"] for s in md["partition-specs"]]
    if md["default-spec-id"] not in specs:
        errs.append("default spec missing")
    for s in md["partition-specs"]:
        for f in s["fields"]:
            need(f, ["source-id", "field-id", "name", "transform"], "field")
            if f["field-id"] > md["last-partition-id"]:
                errs.append("partition field above last-partition-id")
    if md["default-sort-order-id"] not in [o["order-id"]
                                           for o in md["sort-orders"]]:
        errs.append("default sort order missing")
    snaps = {s["snapshot-id"]: s for s in md.get("snapshots", [])}
    for s in snaps.values():
        need(s, ["snapshot-id", "sequence-number", "timestamp-ms",
                 "manifest-list", "summary"], "snapshot")
        if "operation" not in s.get("summary", {}):
            errs.append("snapshot without operation")
        if s["sequence-number"] > md["last-sequence-number"]:
            errs.append("sequence number above last")
        if version >= 3:
            need(s, ["first-row-id", "added-rows"], "v3 snapshot")
    for name, r in md.get("refs", {}).items():
        if r["snapshot-id"] not in snaps:
            errs.append("ref %s dangles" % name)
        if r.get("type") not in ("branch", "tag"):
            errs.append("ref %s type" % name)
    cur = md.get("current-snapshot-id")
    if cur not in (None, -1):
        if cur not in snaps:
            errs.append("current snapshot missing")
        if md.get("refs", {}).get("main", {}).get("snapshot-id") != cur:
            errs.append("main is not the current snapshot")
    log = md.get("snapshot-log", [])
    if [e["timestamp-ms"] for e in log] != sorted(e["timestamp-ms"]
                                                  for e in log):
        errs.append("snapshot log out of order")
    for e in md.get("metadata-log", []):
        need(e, ["metadata-file", "timestamp-ms"], "metadata-log")
    return errs


def snapshot(sid, parent, seq, v3=None):
    s = {"snapshot-id": sid, "sequence-number": seq,
         "timestamp-ms": int(time.time() * 1000),
         "manifest-list": "s3://%s/x/snap-%d.avro" % (STATE, sid),
         "summary": {"operation": "append", "added-data-files": "1"},
         "schema-id": 0}
    if parent is not None:
        s["parent-snapshot-id"] = parent
    if v3 is not None:
        s["first-row-id"], s["added-rows"] = v3
    return s


def pyiceberg_append(c, ns, t, md, sid, rows=None):
    """PyIceberg's fast append: add-snapshot + main, guarded on main."""
    parent = md.get("current-snapshot-id")
    if parent == -1:
        parent = None
    v3 = None
    if md["format-version"] >= 3:
        v3 = (md["next-row-id"], rows or 10)
    return c.commit(ns, t, [
        {"type": "assert-ref-snapshot-id", "ref": "main",
         "snapshot-id": parent},
        {"type": "assert-table-uuid", "uuid": md["table-uuid"]}], [
        {"action": "add-snapshot",
         "snapshot": snapshot(sid, parent, md["last-sequence-number"] + 1,
                              v3)},
        {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch",
         "snapshot-id": sid}])


def commits(bucket):
    c = Rest(bucket)
    out = {}
    st, cfg = c.config()
    out["config"] = [st, cfg]
    out["create_ns"] = c.create_ns("analytics")[0]
    for version in (2, 3):
        t = "events_v%d" % version
        r = {}
        st, res = c.create_table("analytics", {
            "name": t, "schema": SCHEMA,
            "partition-spec": {"spec-id": 0, "fields": []},
            "write-order": {"order-id": 0, "fields": []},
            "properties": {"format-version": str(version),
                           "write.format.default": "parquet"},
            "stage-create": False})
        r["create"] = st
        if st != 200:
            sys.exit("create %s: %s %s" % (t, st, res))
        md = res["metadata"]
        uid = md["table-uuid"]

        # Java: schema evolution (UpdateSchema -> add-schema, set-current)
        new_schema = {"type": "struct", "schema-id": 1, "fields":
                      SCHEMA["fields"] + [{"id": 4, "name": "tag",
                                           "type": "string",
                                           "required": False}]}
        st, res = c.commit("analytics", t, [
            {"type": "assert-table-uuid", "uuid": uid},
            {"type": "assert-current-schema-id", "current-schema-id": 0},
            {"type": "assert-last-assigned-field-id",
             "last-assigned-field-id": 3}], [
            {"action": "add-schema", "schema": new_schema,
             "last-column-id": 4},
            {"action": "set-current-schema", "schema-id": -1}])
        r["add_schema"] = [st, res["metadata"]["current-schema-id"]
                           if st == 200 else res]

        # Java: partition evolution
        st, res = c.commit("analytics", t, [
            {"type": "assert-table-uuid", "uuid": uid},
            {"type": "assert-last-assigned-partition-id",
             "last-assigned-partition-id": 999},
            {"type": "assert-default-spec-id", "default-spec-id": 0}], [
            {"action": "add-spec", "spec": {"spec-id": 1, "fields": [
                {"source-id": 3, "field-id": 1000, "name": "ts_day",
                 "transform": "day"}]}},
            {"action": "set-default-spec", "spec-id": -1}])
        r["add_spec"] = [st, res["metadata"]["default-spec-id"]
                         if st == 200 else res]

        # PyIceberg: two appends
        md = res["metadata"]
        st, res = pyiceberg_append(c, "analytics", t, md, 1001)
        r["append1"] = st
        md = res["metadata"]
        st, res = pyiceberg_append(c, "analytics", t, md, 1002)
        r["append2"] = st
        md2 = res["metadata"]

        # a client that missed the second append: 409, nothing written
        before = listing()
        st, res = pyiceberg_append(c, "analytics", t, md, 1003)
        r["stale"] = [st, res["error"]["type"] if res else None]
        r["stale_nothing_written"] = listing() == before

        st, res = c.commit("analytics", t, [
            {"type": "assert-table-uuid", "uuid": uid}], [
            {"action": "set-properties", "updates": {
                "commit.retry.num-retries": "4", "owner": "tests"}}])
        r["set_properties"] = st

        # Java ExpireSnapshots
        st, res = c.commit("analytics", t, [
            {"type": "assert-table-uuid", "uuid": uid},
            {"type": "assert-ref-snapshot-id", "ref": "main",
             "snapshot-id": 1002}], [
            {"action": "remove-snapshots", "snapshot-ids": [1001]}])
        r["remove_snapshots"] = st
        md = res["metadata"]
        r["snapshots"] = [s["snapshot-id"] for s in md.get("snapshots", [])]
        r["parent_of_1002"] = md["snapshots"][0].get("parent-snapshot-id")
        r["properties"] = md["properties"]
        r["errors"] = validate(md, version)
        r["metadata_log"] = len(md.get("metadata-log", []))
        r["location"] = res["metadata-location"]
        r["next_row_id"] = md.get("next-row-id")

        st, res = c.load("analytics", t)
        r["load"] = [st, res["metadata-location"] if st == 200 else res]
        r["load_config"] = res.get("config") if st == 200 else None
        r["load_errors"] = validate(res["metadata"], version) \
            if st == 200 else ["load failed"]
        r["md2_errors"] = validate(md2, version)
        out[t] = r
    print(json.dumps(out))


def race(bucket, seconds, clients):
    c = Rest(bucket)
    c.create_ns("race")
    st, res = c.create_table("race", {"name": "appends", "schema": SCHEMA})
    if st != 200:
        print(json.dumps({"create": [st, res]}))
        return
    acked, rejected, other = [], [], []
    lock = threading.Lock()
    stop = time.time() + seconds

    def worker(n):
        cl = Rest(bucket)
        i = 0
        while time.time() < stop:
            i += 1
            sid = n * 10_000_000 + i
            st, res = cl.load("race", "appends")
            if st != 200:
                with lock:
                    other.append([st, res])
                continue
            st, res = pyiceberg_append(cl, "race", "appends",
                                       res["metadata"], sid)
            with lock:
                if st == 200:
                    acked.append(sid)
                elif st == 409 and res["error"]["type"] == \
                        "CommitFailedException":
                    rejected.append(sid)
                else:
                    other.append([st, res])

    threads = [threading.Thread(target=worker, args=(n + 1,))
               for n in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    st, res = c.load("race", "appends")
    md = res["metadata"]
    ids = [s["snapshot-id"] for s in md["snapshots"]]
    # the chain from main back to the first append
    by = {s["snapshot-id"]: s for s in md["snapshots"]}
    chain, cur = [], md["current-snapshot-id"]
    while cur in by:
        chain.append(cur)
        cur = by[cur].get("parent-snapshot-id")
    loc = md["location"]
    prefix = loc.split("/", 3)[3] + "/metadata/"
    files = [k for k in listing() if k.startswith(prefix)
             and k.endswith(".metadata.json")]
    print(json.dumps({
        "acked": sorted(acked), "rejected": len(rejected),
        "rejected_in_history": len(set(rejected) & set(ids)),
        "other": other[:5], "nother": len(other),
        "history": sorted(ids), "chain": len(chain),
        "metadata_files": len(files), "errors": validate(md, 2)}))


def bad(bucket):
    c = Rest(bucket)
    c.create_ns("bad")
    st, res = c.create_table("bad", {"name": "t", "schema": SCHEMA})
    uid = res["metadata"]["table-uuid"]
    tpath = c.p("/namespaces/bad/tables/t")
    other = urllib.parse.quote(arn_of("nosuchbucket"), safe="")
    foreign = urllib.parse.quote(
        "arn:aws:s3tables:us-east-1:444455556666:bucket/" + bucket, safe="")
    cases = {
        "malformed_json": ("POST", tpath, None, b'{"requirements": [',
                           None),
        "not_an_object": ("POST", tpath, None, b'[1, 2, 3]', None),
        "duplicate_keys": ("POST", tpath, None,
                           b'{"requirements":[],"requirements":[],'
                           b'"updates":[]}', None),
        "unknown_update": ("POST", tpath, {
            "requirements": [], "updates": [{"action": "make-coffee"}]},
            None, None),
        "update_without_action": ("POST", tpath, {
            "requirements": [], "updates": [{"schema-id": 1}]}, None, None),
        "unknown_requirement": ("POST", tpath, {
            "requirements": [{"type": "assert-weather"}], "updates": []},
            None, None),
        "bad_snapshot": ("POST", tpath, {
            "requirements": [], "updates": [{"action": "add-snapshot",
                                             "snapshot": {"snapshot-id": 1}}]},
            None, None),
        "dangling_ref": ("POST", tpath, {
            "requirements": [], "updates": [{
                "action": "set-snapshot-ref", "ref-name": "main",
                "type": "branch", "snapshot-id": 42}]}, None, None),
        "bad_schema": ("POST", tpath, {
            "requirements": [], "updates": [{
                "action": "add-schema", "schema": {"type": "struct",
                                                   "fields": [{"id": 1}]}}]},
            None, None),
        "uuid_mismatch": ("POST", tpath, {
            "requirements": [{"type": "assert-table-uuid",
                              "uuid": str(uuid.uuid4())}],
            "updates": [{"action": "set-properties",
                         "updates": {"a": "b"}}]}, None, None),
        "schema_id_mismatch": ("POST", tpath, {
            "requirements": [{"type": "assert-current-schema-id",
                              "current-schema-id": 7}],
            "updates": [{"action": "set-properties",
                         "updates": {"a": "b"}}]}, None, None),
        "ref_mismatch": ("POST", tpath, {
            "requirements": [{"type": "assert-ref-snapshot-id",
                              "ref": "main", "snapshot-id": 5}],
            "updates": []}, None, None),
        "unknown_prefix_bucket": ("GET", "/v1/" + other + "/namespaces",
                                  None, None, None),
        "foreign_account": ("GET", "/v1/" + foreign + "/namespaces",
                            None, None, None),
        "prefix_not_arn": ("GET", "/v1/" + bucket + "/namespaces",
                           None, None, None),
        "malformed_arn": ("GET", "/v1/" + urllib.parse.quote(
            "arn:aws:s3:us-east-1:111122223333:bucket/" + bucket, safe="")
            + "/namespaces", None, None, None),
        "warehouse_unknown": ("GET", "/v1/config", None, None,
                              {"warehouse": arn_of("nosuchbucket")}),
        "bad_namespace_name": ("POST", c.p("/namespaces"),
                               {"namespace": ["Has-Caps"]}, None, None),
        "nested_namespace": ("POST", c.p("/namespaces"),
                             {"namespace": ["a", "b"]}, None, None),
        "bad_table_name": ("POST", c.p("/namespaces/bad/tables"),
                           {"name": "no.dots", "schema": SCHEMA}, None, None),
        "table_exists": ("POST", c.p("/namespaces/bad/tables"),
                         {"name": "t", "schema": SCHEMA}, None, None),
        "missing_namespace": ("POST", c.p("/namespaces/nons/tables"),
                              {"name": "t2", "schema": SCHEMA}, None, None),
        "missing_table": ("POST", c.p("/namespaces/bad/tables/nope"),
                          {"requirements": [], "updates": []}, None, None),
        "namespace_not_empty": ("DELETE", c.p("/namespaces/bad"), None, None,
                                None),
        "drop_without_purge": ("DELETE", tpath, None, None,
                               {"purgeRequested": "false"}),
        "oversized": ("POST", tpath, None,
                      b'{"requirements":[],"updates":[],"pad":"'
                      + b"x" * (2 * 1024 * 1024) + b'"}', None),
        "unknown_route": ("GET", c.p("/frobnicate"), None, None, None),
    }
    out = {}
    for name, (method, path, body, raw, query) in sorted(cases.items()):
        before = listing()
        st, res = c.call(method, path, body, query=query, raw=raw)
        err = (res or {}).get("error") or {}
        out[name] = {"status": st, "type": err.get("type"),
                     "code": err.get("code"),
                     "has_message": bool(err.get("message")),
                     "unchanged": listing() == before}
    clients = {
        "unsigned": Rest(bucket, signed=False),
        "wrong_secret": Rest(bucket, secret="not-the-secret-key"),
        "unknown_key": Rest(bucket, key="AKIAUNKNOWNKEY000000"),
    }
    for name, cl in sorted(clients.items()):
        before = listing()
        st, res = cl.commit("bad", "t", [], [
            {"action": "set-properties", "updates": {"x": "y"}}])
        err = (res or {}).get("error") or {}
        out[name] = {"status": st, "type": err.get("type"),
                     "code": err.get("code"),
                     "has_message": bool(err.get("message")),
                     "unchanged": listing() == before}
    # a well-formed commit afterwards still works: nothing was damaged
    st, res = c.commit("bad", "t", [
        {"type": "assert-table-uuid", "uuid": uid}],
        [{"action": "set-properties", "updates": {"after": "ok"}}])
    out["after"] = st
    print(json.dumps(out))


def managed(data_bucket):
    """S3 Metadata's journal through the REST catalog: readable, not
    writable."""
    from icetap_test import client
    gw = client("gw")
    gw.create_bucket(Bucket=data_bucket)
    gw.create_bucket_metadata_configuration(
        Bucket=data_bucket, MetadataConfiguration={
            "JournalTableConfiguration": {
                "RecordExpiration": {"Expiration": "DISABLED"}}})
    for i in range(3):
        gw.put_object(Bucket=data_bucket, Key="k%d" % i, Body=b"x" * i)
    c = Rest("aws-s3")
    ns = "b_" + data_bucket.replace(".", "_")
    out = {}
    md = None
    deadline = time.time() + 60
    while time.time() < deadline:
        st, res = c.load(ns, "journal")
        if st == 200 and res["metadata"].get("current-snapshot-id", -1) \
                not in (None, -1):
            md = res["metadata"]
            break
        time.sleep(0.5)
    out["loaded"] = md is not None
    if md is None:
        print(json.dumps(out))
        return
    out["config"] = c.config()
    out["namespaces"] = c.call("GET", c.p("/namespaces"))
    out["tables"] = c.call("GET", c.p("/namespaces/%s/tables" % ns))
    out["format_version"] = md["format-version"]
    out["errors"] = validate(md, md["format-version"])
    before = listing()
    out["commit"] = c.commit(ns, "journal", [], [
        {"action": "set-properties", "updates": {"x": "y"}}])
    out["drop"] = c.call("DELETE", c.p("/namespaces/%s/tables/journal" % ns),
                         query={"purgeRequested": "true"})
    out["rename"] = c.call("POST", c.p("/tables/rename"), {
        "source": {"namespace": [ns], "name": "journal"},
        "destination": {"namespace": [ns], "name": "mine"}})
    out["create_ns"] = c.create_ns("mine")
    out["create_table"] = c.create_table(ns, {"name": "mine",
                                              "schema": SCHEMA})
    out["drop_ns"] = c.call("DELETE", c.p("/namespaces/%s" % ns))
    keys = [k for k in listing() if not k.startswith("icetap/warehouse/")]
    out["unchanged"] = keys == [k for k in before
                                if not k.startswith("icetap/warehouse/")]
    st, res = c.load(ns, "journal")
    out["still_loads"] = st
    print(json.dumps(out))


def xapi():
    """The S3 Tables API (boto3 s3tables) and the REST catalog on the same
    tables: what one writes, the other sees."""
    from botocore.exceptions import ClientError
    tables = boto3.client("s3tables", endpoint_url=endpoint("gw"),
                          region_name=REGION)
    out = {}

    def code(fn, **kw):
        try:
            fn(**kw)
            return "ok"
        except ClientError as e:
            return e.response["Error"]["Code"]

    arn = tables.create_table_bucket(name="xapi")["arn"]
    out["arn"] = arn
    tables.create_namespace(tableBucketARN=arn, namespace=["ns"])
    made = tables.create_table(
        tableBucketARN=arn, namespace="ns", name="from_api", format="ICEBERG",
        metadata={"iceberg": {"schema": {"fields": [
            {"name": "id", "type": "long", "required": True},
            {"name": "v", "type": "string"}]}}})
    c = Rest("xapi")
    st, res = c.load("ns", "from_api")
    out["rest_load"] = st
    md = res["metadata"]
    out["rest_fields"] = [f["name"] for f in md["schemas"][0]["fields"]]
    before = tables.get_table_metadata_location(tableBucketARN=arn,
                                                namespace="ns",
                                                name="from_api")
    out["same_location"] = before["metadataLocation"] == \
        res["metadata-location"]
    out["api_token"] = made["versionToken"] == before["versionToken"]
    st, res = pyiceberg_append(c, "ns", "from_api", md, 77)
    out["rest_commit"] = st
    after = tables.get_table_metadata_location(tableBucketARN=arn,
                                               namespace="ns",
                                               name="from_api")
    out["api_sees_commit"] = after["metadataLocation"] == \
        res["metadata-location"]
    out["token_changed"] = after["versionToken"] != before["versionToken"]
    out["stale_token"] = code(
        tables.update_table_metadata_location, tableBucketARN=arn,
        namespace="ns", name="from_api", versionToken=before["versionToken"],
        metadataLocation=before["metadataLocation"])
    # the API moves the pointer back: REST loads what it points at
    out["api_swap"] = code(
        tables.update_table_metadata_location, tableBucketARN=arn,
        namespace="ns", name="from_api", versionToken=after["versionToken"],
        metadataLocation=before["metadataLocation"])
    st, res = c.load("ns", "from_api")
    out["rest_sees_swap"] = res["metadata-location"] == \
        before["metadataLocation"]
    # and a REST client that missed it is refused
    st, res = pyiceberg_append(c, "ns", "from_api", md | {
        "current-snapshot-id": 77, "last-sequence-number": 1}, 78)
    out["rest_stale"] = st

    st, res = c.create_table("ns", {"name": "from_rest", "schema": SCHEMA})
    out["rest_create"] = st
    wh = res["metadata"]["location"].split("/", 3)[3] + "/"
    got = tables.get_table(tableBucketARN=arn, namespace="ns",
                           name="from_rest")
    out["api_get"] = got["metadataLocation"] == res["metadata-location"]
    out["api_list"] = sorted(t["name"] for t in tables.list_tables(
        tableBucketARN=arn, namespace="ns")["tables"])

    # a resource policy stored through the API binds the REST catalog
    tables.put_table_bucket_policy(tableBucketARN=arn, resourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*",
                       "Action": "s3tables:UpdateTableMetadataLocation",
                       "Resource": arn + "/table/*"}]}))
    st, res = c.load("ns", "from_rest")
    md = res["metadata"]
    st, res = c.commit("ns", "from_rest", [], [
        {"action": "set-properties", "updates": {"x": "y"}}])
    out["denied_commit"] = [st, (res or {}).get("error", {}).get("type")]
    out["load_still_allowed"] = c.load("ns", "from_rest")[0]
    tables.delete_table_bucket_policy(tableBucketARN=arn)
    out["commit_after_policy"] = c.commit("ns", "from_rest", [], [
        {"action": "set-properties", "updates": {"x": "y"}}])[0]

    tables.delete_table(tableBucketARN=arn, namespace="ns", name="from_api")
    out["rest_after_api_delete"] = c.load("ns", "from_api")[0]
    files_before = len([k for k in listing() if k.startswith(wh)])
    st, _ = c.call("DELETE", c.p("/namespaces/ns/tables/from_rest"),
                   query={"purgeRequested": "true"})
    out["rest_drop"] = st
    out["files_left"] = [k for k in listing() if k.startswith(wh)]
    out["files_before_drop"] = files_before
    out["api_after_rest_drop"] = code(tables.get_table, tableBucketARN=arn,
                                      namespace="ns", name="from_rest")
    out["rest_drop_ns"] = c.call("DELETE", c.p("/namespaces/ns"))[0]
    out["api_namespaces"] = tables.list_namespaces(
        tableBucketARN=arn)["namespaces"]
    print(json.dumps(out, default=str))


def bench(bucket, n):
    """Latencies (ms) of LoadTable, commits, and the store's GET/PUT of
    objects the size of what they move, in the same run."""
    c = Rest(bucket)
    c.create_ns("bench")
    c.create_table("bench", {"name": "t", "schema": SCHEMA})
    s3 = store()
    lat = {"load": [], "commit": [], "store_get": [], "store_put": []}
    st, res = c.load("bench", "t")
    md = res["metadata"]
    for i in range(n):
        t0 = time.perf_counter()
        st, res = c.load("bench", "t")
        lat["load"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        st, res = pyiceberg_append(c, "bench", "t", res["metadata"], i + 1)
        lat["commit"].append((time.perf_counter() - t0) * 1000)
        if st != 200:
            print(json.dumps({"error": [st, res]}))
            return
        key = res["metadata-location"].split("/", 3)[3]
        t0 = time.perf_counter()
        body = s3.get_object(Bucket=STATE, Key=key)["Body"].read()
        lat["store_get"].append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        s3.put_object(Bucket=STATE, Key="bench/%d.json" % i, Body=body)
        lat["store_put"].append((time.perf_counter() - t0) * 1000)
    print(json.dumps(lat))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "seed":
        seed(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "customer")
        print(json.dumps({"ok": True}))
    elif cmd == "public-read":
        # icebird fetches without credentials: anyone may read objects
        store().put_bucket_policy(Bucket=STATE, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*",
                           "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::%s/*" % STATE}]}))
        print(json.dumps({"ok": True}))
    elif cmd == "commits":
        commits(sys.argv[2])
    elif cmd == "race":
        race(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "bad":
        bad(sys.argv[2])
    elif cmd == "managed":
        managed(sys.argv[2])
    elif cmd == "xapi":
        xapi()
    elif cmd == "bench":
        bench(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("unknown command " + cmd)
