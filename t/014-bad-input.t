# Bad input through the tapping gateway: malformed request lines, oversized
# and numerous headers, broken chunked bodies, garbage XML, truncated
# bodies, absurd query strings.  Each gets nginx's or the store's normal
# answer; the harness checks that no worker died (same pids, no "exited on
# signal", no [alert]/[crit]) and that nothing was recorded.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Icetap;
use Test::Icetap::Compare;

our $P = proxy_location();

# the same bytes sent straight to the store: the gateway must not change
# the store's verdict
sub same_as_store {
    my ($res, $raw) = @_;
    my $d = s3_raw($raw);
    is($res->{status}, $d->{status}, 'same status as the store directly');
    my ($gc) = ($res->{body} // '') =~ m{<Code>([^<]+)</Code>};
    my ($dc) = ($d->{body} // '') =~ m{<Code>([^<]+)</Code>};
    is($gc, $dc, 'same S3 error code as the store directly');
}

sub req {
    my ($line, $headers, $body) = @_;
    return "$line\r\nHost: localhost\r\n$headers"
        . "Connection: close\r\n\r\n" . ($body // '');
}

run_tests();

__DATA__

=== TEST 1: binary garbage instead of a request line
--- config eval: $::P
--- raw_request eval
"\x00\x01\x02binary junk\xff\xfe\r\n\r\n"
--- error_code: 400
--- wal_count: 0



=== TEST 2: a request line without URI and version
--- config eval: $::P
--- raw_request eval
"PUT\r\nHost: localhost\r\n\r\n"
--- error_code: 400
--- wal_count: 0



=== TEST 3: an invalid method
--- config eval: $::P
--- raw_request eval
"P\@T /bkt/k HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- error_code: 400
--- wal_count: 0



=== TEST 4: an unsupported HTTP version
--- config eval: $::P
--- raw_request eval
"PUT /bkt/k HTTP/3.7\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx"
--- error_code: 505
--- wal_count: 0



=== TEST 5: a 64 KB header line
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1", "X-Amz-Meta-Big: " . ("a" x 65536) . "\r\n"
      . "Content-Length: 1\r\n", "x")
--- error_code: 400
--- response_body_like: Request Header Or Cookie Too Large
--- wal_count: 0
--- check
is(s3_direct('HEAD', '/bkt/k')->{status}, 404, 'nothing stored');



=== TEST 6: 5000 headers
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1",
      CORE::join('', map { "X-Amz-Meta-H$_: v$_\r\n" } 1 .. 5000)
      . "Content-Length: 1\r\n", "x")
--- error_code: 400
--- wal_count: 0



=== TEST 7: 300 headers fit nginx's buffers and reach the store
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1",
      CORE::join('', map { "X-Junk-$_: v$_\r\n" } 1 .. 300)
      . "Content-Length: 1\r\n", "x")
--- check
::same_as_store($res, ::req("PUT /bkt/k2 HTTP/1.1",
      CORE::join('', map { "X-Junk-$_: v$_\r\n" } 1 .. 300)
      . "Content-Length: 1\r\n", "x"));
my @r = $env->wal_records;
is(scalar @r, $res->{status} == 200 ? 1 : 0, 'recorded iff accepted');



=== TEST 8: invalid chunk size
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1", "Transfer-Encoding: chunked\r\n",
      "ZZZ\r\nabc\r\n0\r\n\r\n")
--- error_code: 400
--- error_log
client sent invalid chunked body
--- wal_count: 0
--- check
is(s3_direct('HEAD', '/bkt/k')->{status}, 404, 'nothing stored');



=== TEST 9: a chunk size that overflows
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1", "Transfer-Encoding: chunked\r\n",
      "ffffffffffffffffffffffff\r\nabc\r\n0\r\n\r\n")
--- error_code: 400
--- error_log
client sent invalid chunked body
--- wal_count: 0



=== TEST 10: a chunk longer than announced
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1", "Transfer-Encoding: chunked\r\n",
      "3\r\nabcdef\r\n0\r\n\r\n")
--- error_code: 400
--- error_log
client sent invalid chunked body
--- wal_count: 0



=== TEST 11: Content-Length together with Transfer-Encoding
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1",
      "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
      "3\r\nabc\r\n0\r\n\r\n")
--- error_code: 400
--- wal_count: 0



=== TEST 12: a negative Content-Length
--- config eval: $::P
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1", "Content-Length: -5\r\n", "x")
--- error_code: 400
--- wal_count: 0



=== TEST 13: a truncated body (client closes early)
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1", "Content-Length: 100000\r\n", "only a bit")
--- raw_request_shutdown
--- timeout: 5
--- wal_count: 0
--- check
ok(!defined $res->{status} || $res->{status} >= 400,
   'no success for a truncated body') or diag $res->{raw};
is(s3_direct('HEAD', '/bkt/k')->{status}, 404, 'nothing stored');



=== TEST 14: a truncated chunked body
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k HTTP/1.1", "Transfer-Encoding: chunked\r\n",
      "100\r\nshort")
--- raw_request_shutdown
--- timeout: 5
--- wal_count: 0
--- check
is(s3_direct('HEAD', '/bkt/k')->{status}, 404, 'nothing stored');



=== TEST 15: garbage XML for DeleteObjects
--- config eval: $::P
--- setup
create_bucket('bkt');
put_object('bkt', 'a', 'a');
--- raw_request eval
::req("POST /bkt?delete HTTP/1.1", "Content-Length: 16\r\n",
      "<<<not xml>>&&;\x00")
--- wal_count: 0
--- check
cmp_ok($res->{status}, '>=', 400, 'refused');
::same_as_store($res, ::req("POST /bkt?delete HTTP/1.1",
                            "Content-Length: 16\r\n", "<<<not xml>>&&;\x00"));
is(s3_direct('HEAD', '/bkt/a')->{status}, 200, 'object still there');



=== TEST 16: truncated XML for DeleteObjects
--- config eval: $::P
--- setup
create_bucket('bkt');
put_object('bkt', 'a', 'a');
--- raw_request eval
my $b = "<Delete><Object><Key>a</Key></Object><Object><Key>";
::req("POST /bkt?delete HTTP/1.1", "Content-Length: " . length($b) . "\r\n",
      $b)
--- wal_count: 0
--- check
cmp_ok($res->{status}, '>=', 400, 'refused');



=== TEST 17: DeleteObjects with a megabyte of garbage
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
my $b = "<Delete>" . ("\xff<x" x 350000);
::req("POST /bkt?delete HTTP/1.1", "Content-Length: " . length($b) . "\r\n",
      $b)
--- timeout: 30
--- wal_count: 0
--- check
cmp_ok($res->{status}, '>=', 400, 'refused');



=== TEST 18: garbage XML for PutObjectTagging
--- config eval: $::P
--- setup
create_bucket('bkt');
put_object('bkt', 'a', 'a');
--- raw_request eval
::req("PUT /bkt/a?tagging HTTP/1.1", "Content-Length: 12\r\n",
      "<Tagging><Ta")
--- wal_count: 0
--- check
cmp_ok($res->{status}, '>=', 400, 'refused');
::same_as_store($res, ::req("PUT /bkt/a?tagging HTTP/1.1",
                            "Content-Length: 12\r\n", "<Tagging><Ta"));
is(s3_direct('GET', '/bkt/a?tagging')->{body} =~ /<Tag>/ ? 1 : 0, 0,
   'no tags stored');



=== TEST 19: tagging XML with entities and deep nesting
--- config eval: $::P
--- setup
create_bucket('bkt');
put_object('bkt', 'a', 'a');
--- raw_request eval
my $b = '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "xxxxxxxxxx">'
      . '<!ENTITY y "&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;">]>'
      . '<Tagging><TagSet>' . ('<Tag>' x 2000) . '&y;' . ('</Tag>' x 2000)
      . '</TagSet></Tagging>';
::req("PUT /bkt/a?tagging HTTP/1.1", "Content-Length: " . length($b) . "\r\n",
      $b)
--- check
my @r = $env->wal_records;
is(scalar @r, $res->{status} == 200 ? 1 : 0, 'recorded iff accepted');



=== TEST 20: a 100 KB query string
--- config eval: $::P
--- raw_request eval
::req("PUT /bkt/k?" . ("a=b&" x 25000) . " HTTP/1.1", "Content-Length: 1\r\n",
      "x")
--- error_code: 414
--- wal_count: 0



=== TEST 21: absurd subresource values on a PUT
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/k?uploadId=%ZZ%&partNumber=-99999999999999999999&versionId=%00"
      . "&tagging&tagging&acl= HTTP/1.1", "Content-Length: 1\r\n", "x")
--- check
::same_as_store($res, ::req("PUT /bkt/k?uploadId=%ZZ%&partNumber=-99999999999999999999&versionId=%00"
      . "&tagging&tagging&acl= HTTP/1.1", "Content-Length: 1\r\n", "x"));



=== TEST 22: a DELETE with a broken versionId
--- config eval: $::P
--- setup
create_bucket('bkt');
put_object('bkt', 'k', 'k');
--- raw_request eval
::req("DELETE /bkt/k?versionId=%%%00%ff&versionId=x HTTP/1.1", "")
--- check
my @r = $env->wal_records;
is(scalar @r, ($res->{status} // 0) =~ /^2/ ? 1 : 0, 'recorded iff accepted');



=== TEST 23: POST ?delete repeated, and ?uploads with no key
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("POST /bkt?delete&delete&uploads HTTP/1.1", "Content-Length: 0\r\n")
--- wal_count: 0
--- check
cmp_ok($res->{status}, '>=', 400, 'refused');



=== TEST 24: an encoded NUL and dot segments in the key
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/a%00b/../../../etc/passwd HTTP/1.1", "Content-Length: 1\r\n",
      "x")
--- error_code: 400
--- wal_count: 0



=== TEST 25: dot segments that stay inside the root are proxied as sent
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
::req("PUT /bkt/x/../y HTTP/1.1", "Content-Length: 1\r\n", "x")
--- check
::same_as_store($res, ::req("PUT /bkt/x/../y2 HTTP/1.1",
                            "Content-Length: 1\r\n", "x"));
my @r = $env->wal_records;
is(scalar @r, $res->{status} == 200 ? 1 : 0, 'recorded iff accepted');



=== TEST 26: Host headers the virtual-host parser must survive
--- config eval: $::P
--- setup
create_bucket('bkt');
for my $h ('.s3.local', 's3.local', '..s3.local', 'a..s3.local',
           'bkt.s3.local:notaport', 'x' x 300 . '.s3.local',
           "b\x01kt.s3.local", 'bkt.S3.LOCAL', '[::1].s3.local') {
    my $r = s3_gw('PUT', '/k', host => $h, body => 'x');
    ok(defined $r->{status}, "answered for Host '$h'");
}
--- request
GET /bkt
--- error_code: 200
--- check
my @r = $env->wal_records;
ok(!grep({ !defined $_->{bucket} || $_->{bucket} eq '' } @r),
   'no record without a bucket') or diag $env->wal_dump;



=== TEST 27: garbage Authorization headers on a tapped PUT
--- config eval: $::P
--- setup
create_bucket('bkt');
my @auth = ('AWS4-HMAC-SHA256 Credential=',
            'AWS4-HMAC-SHA256 Credential=' . ('A' x 5000),
            'AWS4-HMAC-SHA256',
            'AWS AKIA:sig',
            'AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=, Signature=',
            "Bearer \x01\x02");
for my $i (0 .. $#auth) {
    my $r = s3_gw('PUT', "/bkt/auth$i", sign => 0, body => 'x',
                  headers => [['Authorization', $auth[$i]]]);
    ok(defined $r->{status}, "answered for Authorization $i");
}
--- request
GET /bkt
--- error_code: 200
--- check
my @r = $env->wal_records;
my $ok = grep { ($_->{status} // 0) == 200 } @r;
ok(scalar(@r) <= 6, 'at most one record per PUT');



=== TEST 28: a key longer than S3 allows (moto takes it)
--- config eval: $::P
--- setup
create_bucket('bkt');
--- request eval
"PUT /bkt/" . ("k" x 1100) . "\nx"
--- sign
--- check
my $d = s3_direct('PUT', '/bkt/' . ('j' x 1100), body => "x\n");
is($res->{status}, $d->{status}, 'same answer as the store');
my @r = $env->wal_records;
is(scalar @r, $res->{status} == 200 ? 1 : 0, 'recorded iff accepted');
is(length($r[0]{key}), 1100, 'the whole key recorded') if @r;



=== TEST 29: oversized user metadata (moto takes it)
--- config eval: $::P
--- setup
create_bucket('bkt');
--- request
PUT /bkt/meta
x
--- more_headers eval
"x-amz-meta-big: " . ("m" x 4000) . "\nx-amz-meta-big2: " . ("n" x 4000)
--- sign
--- check
my @r = $env->wal_records;
is(scalar @r, $res->{status} == 200 ? 1 : 0, 'recorded iff accepted');
is(length($r[0]{user_metadata}{big2} // ''), 4000, 'metadata kept whole')
    if @r;



=== TEST 30: garbage x-amz-tagging and x-amz-copy-source
--- config eval: $::P
--- setup
create_bucket('bkt');
for my $h (['x-amz-tagging', '%%%&&&===&=&'],
           ['x-amz-copy-source', '/'],
           ['x-amz-copy-source', '%ZZ/%00'],
           ['x-amz-copy-source', '/bkt/nope?versionId=%%'],
           ['x-amz-metadata-directive', 'SIDEWAYS']) {
    my $r = s3_gw('PUT', '/bkt/h', headers => [$h], body => 'x');
    ok(defined $r->{status}, "answered for $h->[0]: $h->[1]");
}
--- request
GET /bkt
--- error_code: 200
--- check
my @r = $env->wal_records;
ok(scalar(@r) <= 5, 'at most one record per PUT');



=== TEST 31: pipelined requests, the second one malformed
--- config eval: $::P
--- setup
create_bucket('bkt');
--- raw_request eval
"PUT /bkt/p1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx"
. "PUT /bkt/p2 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nnothex\r\n"
--- error_log
client sent invalid chunked body
--- check
like($res->{raw}, qr{^HTTP/1.1 200}, 'first answered');
like($res->{raw}, qr{HTTP/1.1 400}, 'second refused');
my @r = $env->wal_records;
is(scalar @r, 1, 'only the first recorded');
is($r[0]{key}, 'p1', 'the right key') if @r;
