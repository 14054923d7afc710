# The harness's own tests: section semantics of t/lib/Test/Icetap.pm, and
# configuration errors of the module as nginx -t reports them.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Icetap;

run_tests();

__DATA__

=== TEST 1: a plain block: status, body, headers, absent header
--- config
location = /hello {
    add_header X-Hello world;
    return 200 "hello\n";
}
--- request
GET /hello
--- error_code: 200
--- response_headers
X-Hello: world
Content-Type: text/plain
!X-Absent
--- response_body
hello
--- no_error_log
[warn]



=== TEST 2: more_headers reach nginx; TEST_NGINX variables are substituted
--- config
location = /echo {
    return 200 "$http_x_one|$http_x_two|$server_port";
}
--- request
GET /echo
--- more_headers
X-One: 1
X-Two: two words
--- response_body chomp
1|two words|$TEST_NGINX_SERVER_PORT



=== TEST 3: response_body_like and response_headers_like
--- config
location = /t {
    add_header X-Time $msec;
    return 200 "port=$server_port";
}
--- request
GET /t
--- response_headers_like
X-Time: ^\d+\.\d{3}$
--- response_body_like: ^port=\d+$



=== TEST 4: an expected [error] line is matched and allowed
--- config
location /files/ {
    root $TEST_NGINX_SERVROOT/html;
}
--- request
GET /files/missing.txt
--- error_code: 404
--- error_log
[error]
open() "
missing.txt" failed (2: No such file or directory)



=== TEST 5: the unexpected [error] is found by log_problems
--- config
location /files/ {
    root $TEST_NGINX_SERVROOT/html;
}
--- request
GET /files/nothing-here
--- error_code: 404
--- error_log eval
qr/\[error\] .*nothing-here/
--- check
my @bad = $env->log_problems;
ok(scalar(grep { /nothing-here/ } @bad), 'log_problems reports [error]')
    or diag explain \@bad;
is_deeply([$env->log_problems(allow_error => 1)], [],
          'allow_error lets it pass');



=== TEST 6: request_body is sent; setup and check talk to the store
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_request_buffering off;
    client_max_body_size 0;
}
--- setup
create_bucket('harness');
--- request
PUT /harness/obj.txt
--- request_body
stored through the gateway
--- sign
--- error_code: 200
--- check
my $r = s3_direct('GET', '/harness/obj.txt');
is($r->{status}, 200, 'object readable from the store');
is($r->{body}, "stored through the gateway\n", 'same bytes');
$r = s3_gw('GET', '/harness/obj.txt');
is($r->{body}, "stored through the gateway\n", 'and through the gateway');



=== TEST 7: the store is reset between blocks
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_set_header Host $http_host;
}
--- request
GET /harness/obj.txt
--- error_code: 404
--- response_body_like: <Code>NoSuchBucket</Code>



=== TEST 8: the WAL sections: records, subset match, count, regex
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_request_buffering off;
    client_max_body_size 0;
    icetap_tap on;
}
--- setup
create_bucket('walbkt');
my $r = s3_gw('PUT', '/walbkt/first', body => 'one');
die "put: $r->{status}" unless $r->{status} == 200;
--- request
PUT /walbkt/second
hello
--- sign
--- more_headers
x-amz-meta-color: blue
--- error_code: 200
--- wal_count: 2
--- wal
{"op":"PutObject","bucket":"walbkt","key":"first","size":3}
{"op":"PutObject","bucket":"walbkt","key":"second","size":6,"user_metadata":{"color":"blue"}}
--- wal_like: "key":"second".*"requester":"AKIAIOSFODNN7EXAMPLE"
--- check
my @recs = $env->wal_records;
is(scalar @recs, 2, 'wal_records while nginx runs');
my @d = Test::Icetap::_subset_diff({size => 4, key => 'first'}, $recs[0]);
is(scalar @d, 1, 'subset match reports a wrong field') or diag explain \@d;
@d = Test::Icetap::_subset_diff({nope => 1}, $recs[0]);
like($d[0] // '', qr/\.nope: missing/, 'and a missing one');



=== TEST 9: a rejected mutation leaves the WAL empty
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
--- request
PUT /no-such-bucket-here/key
data
--- error_code: 404
--- wal_count: 0



=== TEST 10: raw_request sends bytes as they are
--- config
location / {
    return 200 "ok\n";
}
--- raw_request eval
"GARBAGE\r\n\r\n"
--- error_code: 400



=== TEST 11: worker_processes from the block; pids are found
--- workers: 2
--- config
location / {
    return 200 "$pid";
}
--- request
GET /
--- check
my @w = $env->worker_pids;
is(scalar @w, 2, 'two workers');
ok((grep { $_ == $res->{body} } @w), 'the answering worker is one of them');
isnt($env->master_pid, $res->{body}, 'master is not a worker');



=== TEST 12: main_config and http_config go to their levels
--- main_config
env ICETAP_HARNESS_PROBE;
--- http_config
map $uri $probe {
    default "mapped";
}
--- config
location / {
    return 200 "$probe";
}
--- request
GET /x
--- response_body: mapped



=== TEST 13: icetap_tap without icetap_wal is a configuration error
--- no_wal
--- config
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    icetap_tap on;
}
--- must_die
--- error_log
[emerg]
"icetap_tap" requires "icetap_wal"



=== TEST 14: icetap_wal with an invalid sync parameter
--- http_config
icetap_wal $TEST_NGINX_SERVROOT/wal sync=abc;
--- config
location / {
    icetap_tap on;
}
--- must_die
--- error_log
invalid sync interval "abc"



=== TEST 15: icetap_wal with an unknown parameter and a tiny segment
--- http_config
icetap_wal $TEST_NGINX_SERVROOT/wal segment_size=1k;
--- must_die
--- error_log
"segment_size" must be at least 64k



=== TEST 16: icetap_wal twice is a duplicate
--- http_config
icetap_wal $TEST_NGINX_SERVROOT/wal;
icetap_wal $TEST_NGINX_SERVROOT/wal2;
--- must_die
--- error_log
"icetap_wal" directive is duplicate



=== TEST 17: icetap_wal is not allowed in a location
--- config
location / {
    icetap_wal /tmp/x;
}
--- must_die
--- error_log
"icetap_wal" directive is not allowed here



=== TEST 18: valid icetap_wal parameters start
--- http_config
icetap_wal $TEST_NGINX_SERVROOT/wal sync=always max_size=10m segment_size=1m;
--- config
location / {
    icetap_tap on;
    icetap_tap_body_limit 64k;
    icetap_virtual_host_suffix s3.local example.test;
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
}
--- request
GET /
--- error_code: 200
