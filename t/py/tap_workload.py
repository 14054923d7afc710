#!/usr/bin/env python3
"""A mixed S3 mutation workload through the gateway that keeps the ground
truth of what the store accepted, for comparison with the WAL.

Environment: ICETAP_ENDPOINT (the gateway), ICETAP_VHOST_SUFFIX (a host
suffix the gateway treats as virtual-hosted, e.g. s3.local; the script
resolves *.SUFFIX to 127.0.0.1 itself).

usage: tap_workload.py --ops N --seed S --out FILE [--no-retry-errors]

Writes one JSON line per accepted mutation (in client order) and one per
ambiguous mutation (connection lost: the store may or may not have done
it), and prints a summary line "ops=N accepted=A rejected=R ambiguous=U".
"""

import argparse
import hashlib
import io
import json
import os
import random
import socket
import sys
import urllib.parse

import boto3
import botocore
from botocore.config import Config


def patch_resolver(suffix):
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kw):
        if isinstance(host, str) and host.endswith('.' + suffix):
            host = '127.0.0.1'
        return real(host, *args, **kw)

    socket.getaddrinfo = getaddrinfo


KEYS = ['k%02d' % i for i in range(12)] + [
    'dir/sub/file.txt', 'a b c', 'plus+sign', 'pct%41', 'uni-\u00e9\u6f22',
    'dots/../up', 'double//slash', 'q?mark', 'amp&and=eq', 'x' * 200,
]

CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING',
           'REDUCED_REDUNDANCY', 'GLACIER_IR']


class Workload:

    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.out = open(args.out, 'w')
        self.counts = dict(ops=0, accepted=0, rejected=0, ambiguous=0)
        ep = os.environ['ICETAP_ENDPOINT']
        creds = dict(aws_access_key_id='AKIAICETAPTEST000001',
                     aws_secret_access_key='secret/key', region_name='us-east-1')
        cfg = dict(retries={'total_max_attempts': 1},
                   connect_timeout=5, read_timeout=30)
        self.s3 = boto3.client('s3', endpoint_url=ep, config=Config(
            s3={'addressing_style': 'path'}, **cfg), **creds)
        self.clients = {}
        tag = '%x' % args.seed
        self.buckets = ['tapv-' + tag, 'tapu-' + tag]
        for b in self.buckets:
            self.clients[b] = self.s3
        suffix = os.environ.get('ICETAP_VHOST_SUFFIX')
        if suffix:
            patch_resolver(suffix)
            port = urllib.parse.urlparse(ep).port
            vs3 = boto3.client('s3', endpoint_url='http://%s:%d' % (suffix, port),
                               config=Config(s3={'addressing_style': 'virtual'},
                                             **cfg), **creds)
            b = 'taph-' + tag
            self.buckets.append(b)
            self.clients[b] = vs3
        self.setup(self.s3.create_bucket, Bucket=self.buckets[0])
        self.setup(self.s3.put_bucket_versioning, Bucket=self.buckets[0],
                   VersioningConfiguration={'Status': 'Enabled'})
        for b in self.buckets[1:]:
            self.setup(self.s3.create_bucket, Bucket=b)
        # client-side model: bucket -> key -> list of live version ids
        self.model = {b: {} for b in self.buckets}

    def setup(self, fn, **kw):
        """Bucket set-up is not tapped: retried when a worker is killed."""
        for attempt in range(10):
            try:
                return fn(**kw)
            except botocore.exceptions.BotoCoreError:
                continue
            except botocore.exceptions.ClientError as e:
                if e.response['Error']['Code'] in (
                        'BucketAlreadyOwnedByYou', 'BucketAlreadyExists'):
                    return None
                raise
        raise RuntimeError('set-up failed 10 times')

    def emit(self, rec):
        self.out.write(json.dumps(rec, sort_keys=True) + '\n')

    def accepted(self, rec):
        self.counts['accepted'] += 1
        rec['outcome'] = 'accepted'
        self.emit(rec)

    def call(self, rec, fn, **kw):
        """Runs one mutation; returns the response or None."""
        self.counts['ops'] += 1
        try:
            return fn(**kw)
        except botocore.exceptions.ClientError as e:
            self.counts['rejected'] += 1
            return None
        except botocore.exceptions.BotoCoreError as e:
            # connection lost: the store may or may not have done it
            self.counts['ambiguous'] += 1
            rec['outcome'] = 'ambiguous'
            self.emit(rec)
            return None

    def pick(self):
        b = self.rng.choice(self.buckets)
        return b, self.clients[b], self.rng.choice(KEYS)

    def body(self):
        n = self.rng.choice([0, 1, 17, 1024, 5000, 70000])
        return bytes(self.rng.getrandbits(8) for _ in range(min(n, 64))) * (n // 64 + 1)

    def op_put(self):
        b, c, k = self.pick()
        data = self.body()[:self.rng.choice([0, 1, 17, 1024, 5000, 70000])]
        meta = {}
        if self.rng.random() < 0.5:
            meta = {'owner': 'u%d' % self.rng.randrange(5), 'x-y': 'z w'}
        tags = {}
        if self.rng.random() < 0.5:
            tags = {'t%d' % i: 'v %d&=' % self.rng.randrange(9)
                    for i in range(self.rng.randrange(1, 4))}
        sc = self.rng.choice(CLASSES) if self.rng.random() < 0.3 else None
        kw = dict(Bucket=b, Key=k, Metadata=meta)
        if tags:
            kw['Tagging'] = urllib.parse.urlencode(tags)
        if sc:
            kw['StorageClass'] = sc
        if self.rng.random() < 0.3:
            kw['Body'] = io.BytesIO(data)      # streamed, aws-chunked
        else:
            kw['Body'] = data
        rec = dict(op='PutObject', bucket=b, key=k,
                   e_tag='"%s"' % hashlib.md5(data).hexdigest(),
                   size=len(data), user_metadata=meta, object_tags=tags,
                   storage_class=sc or 'STANDARD', is_delete_marker=False)
        r = self.call(rec, c.put_object, **kw)
        if r is not None:
            rec['version_id'] = r.get('VersionId')
            assert r['ETag'] == rec['e_tag'], (r['ETag'], rec['e_tag'])
            self.model[b].setdefault(k, []).append(rec)
            self.accepted(rec)

    def op_copy(self):
        b, c, k = self.pick()
        src = self.model[b].get(self.rng.choice(KEYS))
        if not src:
            src_key, src_rec = 'missing-source', None
        else:
            src_rec = src[-1]
            src_key = src_rec['key']
        replace = self.rng.random() < 0.5
        kw = dict(Bucket=b, Key=k, CopySource={'Bucket': b, 'Key': src_key})
        rec = dict(op='CopyObject', bucket=b, key=k, is_delete_marker=False,
                   storage_class='STANDARD',
                   directive='REPLACE' if replace else 'COPY')
        if replace:
            meta = {'copied': 'yes'}
            kw.update(MetadataDirective='REPLACE', Metadata=meta,
                      TaggingDirective='REPLACE', Tagging='c=1')
            rec.update(user_metadata=meta, object_tags={'c': '1'})
        elif src_rec:
            rec.update(user_metadata=src_rec.get('user_metadata'),
                       object_tags=src_rec.get('object_tags'))
        if src_rec:
            rec['size'] = src_rec.get('size')
        r = self.call(rec, c.copy_object, **kw)
        if r is not None:
            rec['version_id'] = r.get('VersionId')
            rec['e_tag'] = r['CopyObjectResult']['ETag']
            self.model[b].setdefault(k, []).append(rec)
            self.accepted(rec)

    def op_delete(self):
        b, c, k = self.pick()
        vers = self.model[b].get(k) or []
        kw = dict(Bucket=b, Key=k)
        rec = dict(op='DeleteObject', bucket=b, key=k)
        if b.startswith('tapv') and vers and self.rng.random() < 0.4:
            v = self.rng.choice(vers)
            kw['VersionId'] = v['version_id']
        r = self.call(rec, c.delete_object, **kw)
        if r is None:
            return
        if 'VersionId' in kw:
            rec.update(version_id=kw['VersionId'], is_delete_marker=None)
            vers[:] = [x for x in vers if x.get('version_id') != kw['VersionId']]
        elif r.get('DeleteMarker'):
            rec.update(version_id=r['VersionId'], is_delete_marker=True, size=0)
            vers.append(dict(rec))
        else:
            rec.update(version_id=None, is_delete_marker=None)
            self.model[b].pop(k, None)
        self.accepted(rec)

    def op_delete_objects(self):
        b, c, _ = self.pick()
        keys = self.rng.sample(KEYS, self.rng.randrange(1, 6))
        objs = []
        for k in keys:
            vers = self.model[b].get(k) or []
            if b.startswith('tapv') and vers and self.rng.random() < 0.3:
                objs.append({'Key': k, 'VersionId': self.rng.choice(vers)['version_id']})
            else:
                objs.append({'Key': k})
        quiet = self.rng.random() < 0.2 and not b.startswith('tapv')
        rec = dict(op='DeleteObjects', bucket=b, keys=[o['Key'] for o in objs])
        r = self.call(rec, c.delete_objects, Bucket=b,
                      Delete={'Objects': objs, 'Quiet': quiet})
        if r is None:
            return
        deleted = r.get('Deleted', [])
        if quiet and not deleted:
            errs = {e['Key'] for e in r.get('Errors', [])}
            deleted = [o for o in objs if o['Key'] not in errs]
        for d in deleted:
            k = d['Key']
            vers = self.model[b].get(k) or []
            one = dict(op='DeleteObjects', bucket=b, key=k)
            if d.get('VersionId'):
                one.update(version_id=d['VersionId'], is_delete_marker=None)
                vers[:] = [x for x in vers if x.get('version_id') != d['VersionId']]
            elif d.get('DeleteMarker'):
                one.update(version_id=d.get('DeleteMarkerVersionId'),
                           is_delete_marker=True, size=0)
                vers.append(dict(one))
            else:
                one.update(version_id=None, is_delete_marker=None)
                self.model[b].pop(k, None)
            self.accepted(one)

    def op_tagging(self, put):
        b, c, k = self.pick()
        vers = self.model[b].get(k) or []
        live = [v for v in vers if not v.get('is_delete_marker')]
        rec = dict(op='PutObjectTagging' if put else 'DeleteObjectTagging',
                   bucket=b, key=k)
        kw = dict(Bucket=b, Key=k)
        if put:
            tags = {'tk%d' % i: 'tv<%d>' % i for i in range(self.rng.randrange(0, 4))}
            kw['Tagging'] = {'TagSet': [{'Key': a, 'Value': v} for a, v in tags.items()]}
            fn = c.put_object_tagging
        else:
            tags = {}
            fn = c.delete_object_tagging
        rec['object_tags'] = tags
        r = self.call(rec, fn, **kw)
        if r is not None:
            rec['version_id'] = r.get('VersionId')
            if live:
                live[-1]['object_tags'] = tags
            self.accepted(rec)

    def op_multipart(self):
        b, c, k = self.pick()
        meta = {'mp': 'yes'}
        self.counts['ops'] += 1
        try:
            up = c.create_multipart_upload(Bucket=b, Key=k, Metadata=meta,
                                           Tagging='m=p')
            data = self.body()
            p = c.upload_part(Bucket=b, Key=k, UploadId=up['UploadId'],
                              PartNumber=1, Body=data)
        except botocore.exceptions.ClientError:
            self.counts['rejected'] += 1
            return
        except botocore.exceptions.BotoCoreError:
            return
        self.counts['ops'] -= 1
        rec = dict(op='CompleteMultipartUpload', bucket=b, key=k,
                   user_metadata=meta, object_tags={'m': 'p'}, size=len(data),
                   is_delete_marker=False, storage_class='STANDARD')
        r = self.call(rec, c.complete_multipart_upload, Bucket=b, Key=k,
                      UploadId=up['UploadId'], MultipartUpload={
                          'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]})
        if r is not None:
            rec['version_id'] = r.get('VersionId')
            rec['e_tag'] = r['ETag']
            self.model[b].setdefault(k, []).append(rec)
            self.accepted(rec)

    def op_failing(self):
        b, c, k = self.pick()
        choice = self.rng.randrange(6)
        rec = dict(op='failing', bucket=b, key=k, expect='rejected')
        if choice == 0:
            self.call(rec, self.s3.put_object, Bucket='no-such-bucket-icetap',
                      Key=k, Body=b'x')
        elif choice == 1:
            self.call(rec, c.copy_object, Bucket=b, Key=k,
                      CopySource={'Bucket': b, 'Key': 'never-existed'})
        elif choice == 2:
            self.call(rec, c.complete_multipart_upload, Bucket=b, Key=k,
                      UploadId='bogus', MultipartUpload={'Parts': [
                          {'PartNumber': 1, 'ETag': '"0"'}]})
        elif choice == 3:
            self.call(rec, c.put_object_tagging, Bucket=b, Key='never-existed',
                      Tagging={'TagSet': [{'Key': 'a', 'Value': 'b'}]})
        elif choice == 4:
            self.call(rec, self.s3.delete_objects, Bucket='no-such-bucket-icetap',
                      Delete={'Objects': [{'Key': k}]})
        else:
            # a conditional put on a key that exists: 412
            live = [key for key, v in self.model[b].items()
                    if v and not v[-1].get('is_delete_marker')]
            if live:
                rec['key'] = live[0]
                r = self.call(rec, c.put_object, Bucket=b, Key=live[0],
                              Body=b'never', IfNoneMatch='*')
                if r is not None:
                    # the model was wrong (an ambiguous delete happened)
                    rec = dict(op='PutObject', bucket=b, key=live[0],
                               e_tag=r['ETag'], size=5, user_metadata={},
                               object_tags={}, storage_class='STANDARD',
                               is_delete_marker=False,
                               version_id=r.get('VersionId'))
                    self.model[b].setdefault(live[0], []).append(rec)
                    self.accepted(rec)

    def run(self, n):
        ops = [(self.op_put, 35), (self.op_copy, 10), (self.op_delete, 14),
               (self.op_delete_objects, 8), (lambda: self.op_tagging(True), 8),
               (lambda: self.op_tagging(False), 4), (self.op_multipart, 6),
               (self.op_failing, 15)]
        fns = [f for f, w in ops for _ in range(w)]
        while self.counts['ops'] < n:
            self.rng.choice(fns)()
        self.out.close()
        print('ops=%(ops)d accepted=%(accepted)d rejected=%(rejected)d '
              'ambiguous=%(ambiguous)d' % self.counts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ops', type=int, default=2000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    Workload(args).run(args.ops)


if __name__ == '__main__':
    main()
