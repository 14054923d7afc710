# The tap: which requests become WAL records, with which fields, and which
# leave none (rejected by the store, not a mutation, an error inside a 200).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Icetap;

run_tests();

__DATA__

=== TEST 1: PutObject: size, ETag, tags, metadata, class, checksum, requester
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap1');
--- request
PUT /tap1/dir/a%20b+c.txt
hello world
--- more_headers
x-amz-meta-Color: blue
x-amz-meta-empty:
x-amz-tagging: k1=v1&k%202=v+2&flag
x-amz-storage-class: STANDARD_IA
x-amz-checksum-crc32: DUoRhQ==
--- sign
--- error_code: 200
--- no_error_log
[warn]
--- wal
{"op":"PutObject","record_type":"CREATE","bucket":"tap1","key":"dir/a b+c.txt","size":12,"e_tag":"\"6f5902ac237024bdd0c176cb93063dc4\"","storage_class":"STANDARD_IA","object_tags":{"k1":"v1","k 2":"v 2","flag":""},"user_metadata":{"color":"blue","empty":""},"is_delete_marker":false,"is_multipart":false,"checksum_algorithm":"CRC32","requester":"AKIAIOSFODNN7EXAMPLE","source_ip_address":"127.0.0.1","version_id":null,"needs_enrichment":false}



=== TEST 2: a mutation the store rejects leaves no record
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap2');
--- request
PUT /tap2-missing/key
data
--- error_code: 404
--- wal_count: 0



=== TEST 3: bucket operations, uploads of parts and subresources are not mutations of objects
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
s3_gw('PUT', '/tap3');
s3_gw('PUT', '/tap3?versioning',
      body => '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
my $r = s3_gw('POST', '/tap3/mp?uploads');
my ($id) = $r->{body} =~ m{<UploadId>([^<]+)</UploadId>};
s3_gw('PUT', "/tap3/mp?partNumber=1&uploadId=$id", body => 'part');
s3_gw('DELETE', "/tap3/mp?uploadId=$id");
s3_gw('PUT', '/tap3/obj', body => 'x');
--- request
PUT /tap3/obj?acl
--- more_headers
x-amz-acl: private
--- sign
--- error_code: 200
--- wal_count: 1
--- wal
{"op":"PutObject","bucket":"tap3","key":"obj","size":1}



=== TEST 4: DeleteObject on a versioned bucket makes a delete marker; with versionId it is permanent
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap4');
s3_direct('PUT', '/tap4?versioning',
          body => '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
s3_direct('PUT', '/tap4/k', body => 'v0');
--- request
DELETE /tap4/k
--- sign
--- error_code: 204
--- response_headers
x-amz-delete-marker: true
--- check
my $r = s3_direct('PUT', '/tap4/k', body => 'v1');
my $v1 = $r->{headers}{'x-amz-version-id'};
$r = s3_gw('DELETE', "/tap4/k?versionId=$v1");
is($r->{status}, 204, 'versioned delete through the gateway');
my @r = $env->wal_records;
is(scalar @r, 2, 'two records');
is($r[0]{op}, 'DeleteObject', 'first a delete');
ok($r[0]{is_delete_marker}, 'that made a marker');
is($r[0]{size}, 0, 'of size 0');
ok($r[0]{version_id}, 'with the marker version id');
is($r[1]{version_id}, $v1, 'then the named version');
is($r[1]{is_delete_marker}, undef, 'permanently: is_delete_marker null');
is($r[1]{record_type}, 'DELETE', 'record type');
ok($r[0]{sequence_number} lt $r[1]{sequence_number}, 'in order');



=== TEST 5: PutObjectTagging takes the tag set from the request body
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap5');
s3_direct('PUT', '/tap5/k', body => 'v');
--- request
PUT /tap5/k?tagging
<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>x:y</Key><Value>1 2</Value></Tag><Tag><Key>e</Key><Value></Value></Tag></TagSet></Tagging>
--- sign
--- error_code: 200
--- wal
{"op":"PutObjectTagging","record_type":"UPDATE_METADATA","key":"k","object_tags":{"x:y":"1 2","e":""},"user_metadata":null,"size":null,"checksum_algorithm":null}



=== TEST 6: DeleteObjectTagging records an empty tag set
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap6');
s3_direct('PUT', '/tap6/k', body => 'v', headers => { 'x-amz-tagging' => 'a=1' });
--- request
DELETE /tap6/k?tagging
--- sign
--- error_code: 204
--- wal
{"op":"DeleteObjectTagging","record_type":"UPDATE_METADATA","key":"k","object_tags":{}}



=== TEST 7: DeleteObjects: one record per deleted key, none for errors
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap7');
s3_direct('PUT', "/tap7/k$_", body => 'v') for 1 .. 3;
--- request
POST /tap7?delete
<Delete><Object><Key>k1</Key></Object><Object><Key>k3</Key></Object><Object><Key>a &lt; b</Key></Object></Delete>
--- sign
--- more_headers
Content-MD5: ignored
--- error_code: 200
--- wal
{"op":"DeleteObjects","record_type":"DELETE","bucket":"tap7","key":"k1","version_id":null}
{"op":"DeleteObjects","record_type":"DELETE","bucket":"tap7","key":"k3","version_id":null}
{"op":"DeleteObjects","record_type":"DELETE","bucket":"tap7","key":"a < b","version_id":null}



=== TEST 8: CopyObject answered 200 with an <Error> body is not recorded, and the client gets the body
--- config
location /tap8/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    icetap_tap on;
}
location /canned/ {
    return 200 '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>copy failed late</Message></Error>';
}
--- request
PUT /tap8/dst
--- more_headers
x-amz-copy-source: /tap8/src
--- error_code: 200
--- response_body_like: <Code>InternalError</Code>
--- wal_count: 0



=== TEST 9: CompleteMultipartUpload: the ETag comes from the held body
--- config
location /tap9/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    icetap_tap on;
}
location /canned/ {
    add_header x-amz-version-id v-9;
    return 200 '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult><Bucket>tap9</Bucket><Key>big</Key><ETag>"abc-3"</ETag><ChecksumCRC32C>AAAA</ChecksumCRC32C></CompleteMultipartUploadResult>';
}
--- request
POST /tap9/big?uploadId=U-1
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>
--- error_code: 200
--- response_body_like: <ETag>"abc-3"</ETag>
--- wal
{"op":"CompleteMultipartUpload","key":"big","e_tag":"\"abc-3\"","version_id":"v-9","is_multipart":true,"upload_id":"U-1","checksum_algorithm":"CRC32C","needs_enrichment":true,"size":null}



=== TEST 10: CompleteMultipartUpload with an <Error> inside a 200 is not recorded
--- config
location /tap10/ {
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    icetap_tap on;
}
location /canned/ {
    return 200 '<?xml version="1.0" encoding="UTF-8"?>\n\n\n<Error><Code>InternalError</Code></Error>';
}
--- request
POST /tap10/big?uploadId=U-1
<CompleteMultipartUpload/>
--- error_code: 200
--- response_body_like: InternalError
--- wal_count: 0



=== TEST 11: a held body over icetap_tap_body_limit fails the request instead of losing records
--- config
location /tap11 {
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/canned/;
    icetap_tap on;
    icetap_tap_body_limit 1k;
}
location /canned/ {
    return 200 '<DeleteResult>................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................</DeleteResult>';
}
--- request
POST /tap11?delete
<Delete><Object><Key>k</Key></Object></Delete>
--- error_code: 502
--- error_log
exceeds icetap_tap_body_limit 1024
--- wal_count: 0



=== TEST 12: a virtual-hosted request takes its bucket from the Host
--- config
icetap_virtual_host_suffix s3.test;
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap12');
--- request
PUT /some/key
vhost
--- more_headers
Host: tap12.s3.test
--- error_code: 200
--- wal
{"op":"PutObject","bucket":"tap12","key":"some/key","virtual_hosted":true,"size":6}



=== TEST 13: keys keep "//", "..", "%" and "+" as the client sent them
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap13');
--- request
PUT /tap13/a//b/../c%25d+e
x
--- sign
--- error_code: 200
--- wal
{"op":"PutObject","bucket":"tap13","key":"a//b/../c%d+e"}



=== TEST 14: POST upload: key, size, metadata and tags from the form
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap14');
--- request eval
"POST /tap14
--XX\r
Content-Disposition: form-data; name=\"key\"\r
\r
up/\${filename}\r
--XX\r
Content-Disposition: form-data; name=\"X-Amz-Meta-Who\"\r
\r
me\r
--XX\r
Content-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r
Content-Type: text/plain\r
\r
0123456789\r
--XX--\r
"
--- more_headers
Content-Type: multipart/form-data; boundary=XX
--- error_code: 204
--- wal
{"op":"PostObject","record_type":"CREATE","bucket":"tap14","key":"up/f.txt","size":10,"user_metadata":{"who":"me"},"object_tags":{},"needs_enrichment":false}
--- check
my $r = s3_direct('HEAD', '/tap14/up/f.txt');
is($r->{status}, 200, 'the store has the object the record names');
is($r->{headers}{'content-length'}, 10, 'of the recorded size');



=== TEST 15: sync=always records too
--- http_config
icetap_wal $TEST_NGINX_WAL_DIR sync=always;
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap15');
--- request
PUT /tap15/k
x
--- error_code: 200
--- wal
{"op":"PutObject","key":"k"}



=== TEST 16: reads and unrelated methods pass untouched
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap16');
s3_direct('PUT', '/tap16/k', body => 'content');
--- request
GET /tap16/k
--- sign
--- error_code: 200
--- response_body chomp
content
--- wal_count: 0



=== TEST 17: CompleteMultipartUpload carries the tags and storage class its creation gave; an aborted upload is forgotten
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- setup
create_bucket('tap17');
my $r = s3_gw('POST', '/tap17/mp?uploads',
              headers => { 'x-amz-tagging' => 'a=1&b=x%20y',
                           'x-amz-storage-class' => 'STANDARD_IA' });
my ($id) = $r->{body} =~ m{<UploadId>([^<]+)</UploadId>};
$r = s3_gw('PUT', "/tap17/mp?partNumber=1&uploadId=$id", body => 'part');
my ($etag) = $r->{headers}{etag};
# the same key, another upload, aborted: its tags must not be lent
$r = s3_gw('POST', '/tap17/mp?uploads',
           headers => { 'x-amz-tagging' => 'other=1' });
my ($id2) = $r->{body} =~ m{<UploadId>([^<]+)</UploadId>};
s3_gw('DELETE', "/tap17/mp?uploadId=$id2");
$ENV{TEST_NGINX_UPLOAD_ID} = $id;
$ENV{TEST_NGINX_PART_ETAG} = $etag;
--- request
POST /tap17/mp?uploadId=$TEST_NGINX_UPLOAD_ID
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$TEST_NGINX_PART_ETAG</ETag></Part></CompleteMultipartUpload>
--- sign
--- error_code: 200
--- wal_count: 1
--- wal
{"op":"CompleteMultipartUpload","key":"mp","storage_class":"STANDARD_IA","object_tags":{"a":"1","b":"x y"},"is_multipart":true,"needs_enrichment":true}
