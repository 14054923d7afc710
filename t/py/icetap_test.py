"""Shared helpers for the Python client scenarios run by the Perl suites.

The harness (t/lib/Test/Icetap/Env.pm, run_py) sets ICETAP_PORT (the
gateway) and ICETAP_S3_PORT (the store directly) plus static credentials.
Virtual-hosted requests use names under VHOST_SUFFIX, which this module
resolves to the loopback address, so `<bucket>.s3.local:PORT` reaches the
gateway (or the store) with that Host header.
"""

import datetime
import json
import os
import socket
import sys

import boto3
from botocore.config import Config

VHOST_SUFFIX = "s3.local"

_getaddrinfo = socket.getaddrinfo


def _resolve_vhost(host, *args, **kwargs):
    if isinstance(host, str) and (host == VHOST_SUFFIX
                                  or host.endswith("." + VHOST_SUFFIX)):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _resolve_vhost


def port(target):
    return int(os.environ["ICETAP_PORT" if target == "gw"
                          else "ICETAP_S3_PORT"])


def endpoint(target, style="path"):
    host = VHOST_SUFFIX if style == "virtual" else "127.0.0.1"
    return "http://%s:%d" % (host, port(target))


def client(target="gw", style="path", **config):
    """A boto3 S3 client for the gateway ("gw") or the store ("s3")."""
    cfg = Config(s3={"addressing_style": style},
                 retries={"max_attempts": 1, "mode": "standard"},
                 connect_timeout=10, read_timeout=120, **config)
    return boto3.client("s3", endpoint_url=endpoint(target, style),
                        region_name="us-east-1", config=cfg)


class Canon:
    """Turns boto3 results into comparable JSON: volatile values (dates,
    request ids, ports) go, random ids (version ids, upload ids, tokens)
    become V1, V2... in order of first appearance, and the run's bucket
    prefix becomes BKT, so a run through the gateway and a run against
    the store directly give identical output when behaviour is identical.
    """

    ID_KEYS = {"VersionId", "UploadId", "NextVersionIdMarker",
               "VersionIdMarker", "NextUploadIdMarker", "UploadIdMarker",
               "ContinuationToken", "NextContinuationToken",
               "CopySourceVersionId", "x-amz-version-id",
               "x-amz-copy-source-version-id"}
    DROP_KEYS = {"RequestId", "HostId", "LastModified", "Initiated",
                 "Date", "RetryAttempts", "Expiration", "ExpiresString"}
    DROP_HEADERS = {"date", "x-amz-request-id", "x-amz-id-2", "server",
                    "connection", "keep-alive", "transfer-encoding",
                    "x-amzn-requestid",
                    "content-length", "last-modified", "location",
                    "expires"}

    def __init__(self, prefix):
        self.prefix = prefix
        self.ids = {}
        self.ports = [str(port("gw")), str(port("s3"))]

    def idmap(self, v):
        if v in (None, "", "null"):
            return v
        if v not in self.ids:
            self.ids[v] = "V%d" % (len(self.ids) + 1)
        return self.ids[v]

    def text(self, s):
        s = s.replace(self.prefix, "BKT")
        for p in self.ports:
            s = s.replace(":" + p, ":PORT")
        return s

    def __call__(self, obj, key=None):
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                if k in self.DROP_KEYS or (key == "HTTPHeaders"
                                           and k in self.DROP_HEADERS):
                    continue
                if k in self.ID_KEYS:
                    out[k] = self.idmap(v)
                else:
                    out[k] = self(v, k)
            return out
        if isinstance(obj, (list, tuple)):
            return [self(v, key) for v in obj]
        if isinstance(obj, datetime.datetime):
            return "<date>"
        if isinstance(obj, bytes):
            return obj.decode("utf-8", "replace")
        if isinstance(obj, str):
            return self.text(obj)
        if hasattr(obj, "read"):
            return self(obj.read())
        return obj


class Recorder:
    """Runs named steps and records each outcome (a result or an error's
    code and HTTP status) canonicalised with Canon."""

    def __init__(self, prefix):
        self.canon = Canon(prefix)
        self.steps = []

    def step(self, name, fn, *args, **kwargs):
        from botocore.exceptions import ClientError
        try:
            res = fn(*args, **kwargs)
            if isinstance(res, dict) and "Body" in res:
                res = dict(res)
                res["Body"] = res["Body"].read()
            out = {"ok": self.canon(res)}
        except ClientError as e:
            err = e.response.get("Error", {})
            meta = e.response.get("ResponseMetadata", {})
            out = {"error": err.get("Code"),
                   "status": meta.get("HTTPStatusCode")}
        self.steps.append([name, out])
        return out

    def note(self, name, value):
        self.steps.append([name, self.canon(value)])

    def dump(self):
        json.dump(self.steps, sys.stdout, indent=1, sort_keys=True,
                  ensure_ascii=False)
        sys.stdout.write("\n")


def signed_headers(method, url, headers=None):
    """SigV4 headers (UNSIGNED-PAYLOAD) for a request sent by hand."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    h = dict(headers or {})
    h["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    req = AWSRequest(method=method, url=url, headers=h)
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"],
                        os.environ["AWS_SECRET_ACCESS_KEY"])
    S3SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
    return dict(req.headers.items())
