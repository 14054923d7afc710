#!/usr/bin/env python3
"""The journal's workload: tap_workload.py's mixed mutations, with S3
Metadata configurations created through the gateway part-way.

usage: journal_workload.py --ops N --seed S --out FILE [--before N]
                           [--state BUCKET]

0. The state bucket of "icetap_store" is created.
1. The workload's buckets are created (versioned, unversioned and, with
   ICETAP_VHOST_SUFFIX, a virtual-hosted one).
2. --before puts per bucket, before any configuration: never journaled.
3. create_bucket_metadata_configuration on the versioned and the
   unversioned bucket (boto3 through the gateway); the virtual-hosted one
   stays without a configuration.
4. The mixed workload of --ops operations.

Writes tap_workload's ground truth (step 4 only) to FILE, and prints
{"configured": [...], "unconfigured": [...], "before": [[bucket, key]],
"summary": "ops=... accepted=..."}.
"""

import argparse
import contextlib
import io
import json

import tap_workload
from icetap_test import client


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ops', type=int, default=500)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', required=True)
    ap.add_argument('--before', type=int, default=3)
    ap.add_argument('--state', default='icetap-state')
    args = ap.parse_args()

    try:
        client('s3').create_bucket(Bucket=args.state)
    except client('s3').exceptions.BucketAlreadyOwnedByYou:
        pass

    w = tap_workload.Workload(args)
    configured = w.buckets[:2]
    unconfigured = w.buckets[2:]

    before = []
    for b in w.buckets:
        for i in range(args.before):
            k = 'before-%d' % i
            w.clients[b].put_object(Bucket=b, Key=k, Body=b'early')
            before.append([b, k])

    gw = client('gw')
    for b in configured:
        gw.create_bucket_metadata_configuration(
            Bucket=b, MetadataConfiguration={'JournalTableConfiguration': {
                'RecordExpiration': {'Expiration': 'DISABLED'}}})

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        w.run(args.ops)

    print(json.dumps({'configured': configured,
                      'unconfigured': unconfigured, 'before': before,
                      'summary': out.getvalue().strip()}))


if __name__ == '__main__':
    main()
