#!/usr/bin/env python3
"""The live inventory's workload and its ground truth.

usage:
  inventory_workload.py setup --seed S [--preload N] [--preload-first N]
                              [--enable]
  inventory_workload.py enable --seed S [--journal-only]
  inventory_workload.py enable-inventory --seed S
  inventory_workload.py run --seed S --ops N [--round R] [--direct]
                            [--no-tagging] [--prefix P]
  inventory_workload.py remove --seed S --ops N
  inventory_workload.py truth --seed S --out FILE

setup    creates the state bucket of "icetap_store" and three buckets:
         "invv-<seed>" versioned, "invu-<seed>" never versioned and
         "invs-<seed>" suspended (null versions only: moto refuses version
         ids in a suspended bucket, so it is suspended before it holds
         anything).  --preload puts N objects per bucket (--preload-first:
         that many in the versioned one) straight into the store, before
         any configuration, plus a second version and a delete marker;
         --enable then creates each bucket's S3 Metadata configuration
         with the inventory ENABLED through the gateway.
enable   creates the configurations (journal and inventory ENABLED;
         --journal-only: the journal alone).
enable-inventory
         UpdateBucketMetadataInventoryTableConfiguration ENABLED on each.
run      N random mutations through the gateway (--direct: straight to the
         store, bypassing it): puts with tags, user metadata and storage
         classes, overwrites, copies, multipart uploads, tag changes and
         removals (--no-tagging: puts instead, as a listing cannot show
         tags), deletes (delete markers on the versioned bucket), permanent
         deletes of versions and of delete markers, DeleteObjects; keys
         start with --prefix.  Prints {"ops": N, "failed": F}.
remove   deletes --ops versions or markers per bucket that the gateway
         made, for good, straight in the store; prints {"removed":
         [[bucket, key, version_id], ...]}.
truth    every bucket's ground truth from the store directly
         (ListObjectVersions + HeadObject + GetObjectTagging) as inventory
         rows, one JSON object per line.
"""

import argparse
import datetime
import json
import random
import sys

import botocore

from icetap_test import client


KEYS = ['k%03d' % i for i in range(40)] + [
    'dir/sub/file.txt', 'a b c', 'plus+sign', 'uni-\u00e9\u6f22',
    'double//slash', 'amp&and=eq']


def buckets(seed):
    tag = '%x' % seed
    return ['invv-' + tag, 'invu-' + tag, 'invs-' + tag]


def preload(b, n):
    """n objects under pre/, by 8 threads."""
    import concurrent.futures

    def put(lo):
        s3 = client('s3')
        for i in range(lo, n, 8):
            kw = {}
            if i % 7 == 0:
                kw['Tagging'] = 'pre=%d' % i
            if i % 5 == 0:
                kw['Metadata'] = {'n': str(i)}
            s3.put_object(Bucket=b, Key='pre/%06d' % i,
                          Body=b'p' * (i % 50), **kw)

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(put, range(8)))


def setup(args):
    s3 = client('s3')
    for b in ['icetap-state'] + buckets(args.seed):
        try:
            s3.create_bucket(Bucket=b)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    v, u, s = buckets(args.seed)
    for b in (v, s):
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={
            'Status': 'Enabled'})
    # moto refuses versionId on the requests of a suspended bucket (400),
    # so its versions from before the suspension could not be read back:
    # it is suspended before it holds any
    s3.put_bucket_versioning(Bucket=s, VersioningConfiguration={
        'Status': 'Suspended'})
    for i, b in enumerate(buckets(args.seed)):
        n = args.preload
        if args.preload_first is not None:
            n = args.preload_first if i == 0 else args.preload
        preload(b, n)
    if args.preload:
        # versions and a delete marker before the configuration
        for b in (v, s):
            s3.put_object(Bucket=b, Key='pre/000000', Body=b'again')
            s3.delete_object(Bucket=b, Key='pre/000001')
    if args.enable:
        enable(args)


def enable(args):
    gw = client('gw')
    for b in buckets(args.seed):
        if args.journal_only:
            gw.create_bucket_metadata_configuration(
                Bucket=b, MetadataConfiguration={
                    'JournalTableConfiguration': {
                        'RecordExpiration': {'Expiration': 'DISABLED'}}})
            continue
        gw.create_bucket_metadata_configuration(
            Bucket=b, MetadataConfiguration={
                'JournalTableConfiguration': {
                    'RecordExpiration': {'Expiration': 'DISABLED'}},
                'InventoryTableConfiguration': {
                    'ConfigurationState': 'ENABLED'}})


def enable_inventory(args):
    gw = client('gw')
    for b in buckets(args.seed):
        gw.update_bucket_metadata_inventory_table_configuration(
            Bucket=b, InventoryTableConfiguration={
                'ConfigurationState': 'ENABLED'})


class Run:

    def __init__(self, args):
        self.rng = random.Random(args.seed * 7919 + args.round)
        self.c = client('s3' if args.direct else 'gw')
        self.direct = client('s3')
        self.buckets = buckets(args.seed)
        self.failed = 0
        self.prefix = args.prefix
        self.tagging = not args.no_tagging

    def key(self):
        return self.prefix + self.rng.choice(KEYS)

    def tag_version(self, b, k):
        """A tag change on the versioned bucket names its version: moto
        answers PutObjectTagging without x-amz-version-id (AWS and MinIO
        send it), so the version a versionless change hit cannot be told
        from the wire when other writers race on the key, and the
        inventory's guess (the version current then) may pick another
        one.  Unversioned and suspended buckets hold null versions only."""
        if not b.startswith('invv'):
            return {}
        vs = [v for v, dm in self.versions(b, k) if not dm]
        return {'VersionId': self.rng.choice(vs)} if vs else {}

    def versions(self, b, k):
        r = self.direct.list_object_versions(Bucket=b, Prefix=k)
        out = [(x['VersionId'], False) for x in r.get('Versions', [])
               if x['Key'] == k]
        out += [(x['VersionId'], True) for x in r.get('DeleteMarkers', [])
                if x['Key'] == k]
        return out

    def body(self):
        n = self.rng.choice([0, 1, 17, 300, 4000])
        return bytes([self.rng.randrange(256)]) * n

    def tags(self):
        n = self.rng.choice([0, 1, 2, 3])
        return {'t%d' % i: 'v%d' % self.rng.randrange(5) for i in range(n)}

    def op(self):
        b = self.rng.choice(self.buckets)
        k = self.key()
        c = self.c
        r = self.rng.random()
        if r < 0.30:
            kw = {}
            t = self.tags()
            if t:
                kw['Tagging'] = '&'.join('%s=%s' % i for i in t.items())
            if self.rng.random() < 0.4:
                kw['Metadata'] = {'m': str(self.rng.randrange(100))}
            if self.rng.random() < 0.2:
                kw['StorageClass'] = self.rng.choice(['STANDARD_IA',
                                                      'GLACIER_IR'])
            c.put_object(Bucket=b, Key=k, Body=self.body(), **kw)
        elif r < 0.40:
            src = self.key()
            c.copy_object(Bucket=b, Key=k,
                          CopySource={'Bucket': b, 'Key': src})
        elif r < 0.46:
            mpu = c.create_multipart_upload(Bucket=b, Key=k)
            parts = []
            for n in (1, 2):
                body = b'm' * (5 * 1024 * 1024 if n == 1 else 10)
                p = c.upload_part(Bucket=b, Key=k, UploadId=mpu['UploadId'],
                                  PartNumber=n, Body=body)
                parts.append({'ETag': p['ETag'], 'PartNumber': n})
            c.complete_multipart_upload(
                Bucket=b, Key=k, UploadId=mpu['UploadId'],
                MultipartUpload={'Parts': parts})
        elif r < 0.67 and not self.tagging:
            c.put_object(Bucket=b, Key=k, Body=self.body())
        elif r < 0.62:
            t = self.tags()
            c.put_object_tagging(Bucket=b, Key=k, Tagging={'TagSet': [
                {'Key': x, 'Value': y} for x, y in t.items()]},
                **self.tag_version(b, k))
        elif r < 0.67:
            c.delete_object_tagging(Bucket=b, Key=k,
                                    **self.tag_version(b, k))
        elif r < 0.80:
            c.delete_object(Bucket=b, Key=k)
        elif r < 0.92:
            vs = self.versions(b, k)
            if not vs:
                raise LookupError
            v, dm = self.rng.choice(vs)
            c.delete_object(Bucket=b, Key=k, VersionId=v)
        else:
            keys = [self.key() for _ in range(3)]
            c.delete_objects(Bucket=b, Delete={'Objects': [
                {'Key': x} for x in set(keys)]})

    def run(self, n):
        for _ in range(n):
            try:
                self.op()
            except (botocore.exceptions.ClientError, LookupError):
                self.failed += 1


def remove(args):
    """Deletes --ops object versions made through the gateway (keys
    without --prefix) per bucket for good, straight in the store."""
    s3 = client('s3')
    rng = random.Random(args.seed * 31 + args.round)
    out = []
    for b in buckets(args.seed):
        r = s3.list_object_versions(Bucket=b)
        vs = [x for x in r.get('Versions', []) + r.get('DeleteMarkers', [])
              if not x['Key'].startswith('direct/')]
        for x in rng.sample(vs, min(args.ops, len(vs))):
            kw = {}
            if x['VersionId'] != 'null':
                kw['VersionId'] = x['VersionId']
            s3.delete_object(Bucket=b, Key=x['Key'], **kw)
            out.append([b, x['Key'], None if x['VersionId'] == 'null'
                        else x['VersionId']])
    print(json.dumps({'removed': out}))


def head(s3, b, k, v, latest):
    kw = {'Bucket': b, 'Key': k, 'VersionId': v}
    try:
        h = s3.head_object(ChecksumMode='ENABLED', **kw)
    except botocore.exceptions.ClientError:
        # the store may not take versionId=null: the latest is that one
        if v != 'null' or not latest:
            raise
        del kw['VersionId']
        h = s3.head_object(ChecksumMode='ENABLED', **kw)
    t = s3.get_object_tagging(**kw)
    return h, {x['Key']: x['Value'] for x in t.get('TagSet', [])}


def us(dt):
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp()) \
        * 1000000 if dt.tzinfo is None else int(dt.timestamp()) * 1000000


ENC = {'AES256': 'SSE-S3', 'aws:kms': 'SSE-KMS', 'aws:kms:dsse': 'DSSE-KMS'}
CHECKSUMS = ['CRC64NVME', 'CRC32C', 'CRC32', 'SHA1', 'SHA256']


def truth(args):
    s3 = client('s3')
    out = open(args.out, 'w')
    n = 0
    for b in buckets(args.seed):
        pages = s3.get_paginator('list_object_versions').paginate(Bucket=b)
        for p in pages:
            for x in p.get('Versions', []):
                v = x['VersionId']
                h, tags = head(s3, b, x['Key'], v, x['IsLatest'])
                alg = None
                for a in CHECKSUMS:
                    if h.get('Checksum' + a):
                        alg = a
                        break
                row = {
                    'bucket': b, 'key': x['Key'],
                    'version_id': None if v in (None, 'null') else v,
                    'is_delete_marker': False,
                    'size': h['ContentLength'],
                    'last_modified_date': us(h['LastModified']),
                    'e_tag': h['ETag'],
                    'storage_class': h.get('StorageClass', 'STANDARD'),
                    'is_multipart': '-' in h['ETag']
                                    or h.get('PartsCount', 0) > 0,
                    'encryption_status': ENC.get(
                        h.get('ServerSideEncryption'),
                        'SSE-C' if h.get('SSECustomerAlgorithm') else None),
                    'is_bucket_key_enabled': bool(h.get('BucketKeyEnabled')),
                    'kms_key_arn': h.get('SSEKMSKeyId'),
                    'checksum_algorithm': alg,
                    'object_tags': tags,
                    'user_metadata': h.get('Metadata', {}),
                }
                out.write(json.dumps(row, sort_keys=True) + '\n')
                n += 1
            for x in p.get('DeleteMarkers', []):
                v = x['VersionId']
                row = {
                    'bucket': b, 'key': x['Key'],
                    'version_id': None if v in (None, 'null') else v,
                    'is_delete_marker': True, 'size': 0,
                    'last_modified_date': us(x['LastModified']),
                    'e_tag': None, 'storage_class': None,
                    'is_multipart': None, 'encryption_status': None,
                    'is_bucket_key_enabled': None, 'kms_key_arn': None,
                    'checksum_algorithm': None, 'object_tags': None,
                    'user_metadata': None,
                }
                out.write(json.dumps(row, sort_keys=True) + '\n')
                n += 1
    out.close()
    print(json.dumps({'rows': n}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['setup', 'enable', 'enable-inventory',
                                    'run', 'remove', 'truth'])
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--ops', type=int, default=100)
    ap.add_argument('--round', type=int, default=0)
    ap.add_argument('--preload', type=int, default=0)
    ap.add_argument('--preload-first', type=int)
    ap.add_argument('--journal-only', action='store_true')
    ap.add_argument('--prefix', default='')
    ap.add_argument('--enable', action='store_true')
    ap.add_argument('--direct', action='store_true')
    ap.add_argument('--no-tagging', action='store_true')
    ap.add_argument('--out')
    args = ap.parse_args()
    if args.cmd == 'setup':
        setup(args)
    elif args.cmd == 'enable':
        enable(args)
    elif args.cmd == 'enable-inventory':
        enable_inventory(args)
    elif args.cmd == 'run':
        r = Run(args)
        r.run(args.ops)
        print(json.dumps({'ops': args.ops, 'failed': r.failed}))
    elif args.cmd == 'remove':
        remove(args)
    else:
        truth(args)


if __name__ == '__main__':
    sys.exit(main())
