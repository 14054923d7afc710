# Bad input to the S3 Tables API (t/py/s3tables_bad_input.py): invalid
# names, malformed JSON, wrong ARNs, values out of range, oversized
# bodies (Content-Length and chunked), expired presigned URLs, unknown
# paths and methods get their precise 4xx in the restJson1 shape, and
# the state bucket holds exactly what it held before.  Also the
# directives' own checks at load time.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;
my $store = <<"HTTP";
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP

my $env = Test::Icetap::Env->new(http_config => $store, config => <<"CONF");
location / {
    icetap_tables_api;
    icetap_tables_api_body_limit 64k;
    icetap_policy allow $ak s3tables:* *;
}
CONF

$env->start;

my $r = $env->run_py_json('t/py/s3tables_bad_input.py', 65536);

for my $c (@{ $r->{checks} }) {
    ok($c->[1], $c->[0]) or diag explain $c->[2];
}

ok(@{ $r->{checks} } > 100, scalar(@{ $r->{checks} }) . ' checks');

# errors the location answers before any handler runs come in the
# protocol's shape: the Iceberg REST catalog's ErrorModel under /iceberg/

my @t = gmtime;
my $date = sprintf '%04d%02d%02dT%02d%02d%02dZ', $t[5] + 1900, $t[4] + 1,
                   @t[3, 2, 1, 0];
my $auth = 'AWS4-HMAC-SHA256 Credential=AKIANOBODY0000000000/'
           . substr($date, 0, 8) . '/us-east-1/s3tables/aws4_request, '
           . 'SignedHeaders=host;x-amz-date, Signature=' . '0' x 64;

my $res = $env->request(method => 'GET', uri => '/iceberg/v1/config',
                        headers => { Authorization => $auth,
                                     'X-Amz-Date' => $date });
is($res->{status}, 403, 'iceberg: an unknown key is 403');
my $j = eval { JSON::PP->new->decode($res->{body}) } // {};
is_deeply([$j->{error}{type}, $j->{error}{code}],
          ['ForbiddenException', 403], 'iceberg: as an ErrorModel')
    or diag $res->{body};

$res = $env->request(method => 'POST',
                     uri => '/iceberg/v1/prefix/namespaces',
                     body => 'x' x 70000);
is($res->{status}, 413, 'iceberg: a body over the limit is 413');
$j = eval { JSON::PP->new->decode($res->{body}) } // {};
is($j->{error}{code}, 413, 'iceberg: as an ErrorModel') or diag $res->{body};

$res = $env->request(method => 'GET', uri => '/buckets',
                     headers => { Authorization => $auth,
                                  'X-Amz-Date' => $date });
is($res->{status}, 403, 's3tables: an unknown key is 403');
is($res->{headers}{'x-amzn-errortype'}, 'ForbiddenException',
   's3tables: ForbiddenException');

$env->stop;
is_deeply([$env->log_problems], [], 'no errors in the log');

# a store that cannot be reached: 500 InternalServerErrorException, logged

my $dead = Test::Icetap::Env->new(http_config => <<"HTTP", config => <<"CONF");
icetap_store http://127.0.0.1:1 bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP
location / {
    icetap_tables_api;
    icetap_policy allow $ak s3tables:* *;
}
CONF

$dead->start;
$res = $dead->request(method => 'GET', uri => '/buckets', sign => 1,
                      timeout => 60);
is($res->{status}, 500, 'store down: 500');
is($res->{headers}{'x-amzn-errortype'}, 'InternalServerErrorException',
   'store down: InternalServerErrorException');
$dead->stop;
like($dead->error_log, qr/\[error\].*icetap: S3 Tables request answered 500/,
     'store down: logged as an error');
is_deeply([$dead->log_problems(allow_error => 1)], [],
          'store down: nothing worse than errors');

# configurations nginx must refuse

my @bad = (
    [ 'icetap_tables_api without icetap_store',
      '', 'location / { icetap_tables_api; }',
      qr/"icetap_tables_api" requires "icetap_store"/ ],
    [ 'icetap_tables_api twice',
      $store, 'location / { icetap_tables_api; icetap_tables_api; }',
      qr/"icetap_tables_api" directive is duplicate/ ],
    [ 'icetap_policy with a bad effect',
      $store, 'location / { icetap_tables_api;'
              . ' icetap_policy permit * s3tables:* *; }',
      qr/invalid effect "permit"/ ],
    [ 'icetap_policy with a bad action',
      $store, 'location / { icetap_tables_api;'
              . ' icetap_policy allow * GetTable *; }',
      qr/invalid action "GetTable"/ ],
    [ 'icetap_tables_s3_endpoint not a URL',
      $store, 'location / { icetap_tables_api;'
              . ' icetap_tables_s3_endpoint localhost:8080; }',
      qr/invalid endpoint "localhost:8080"/ ],
    [ 'icetap_tables_api_body_limit 0',
      $store, 'location / { icetap_tables_api;'
              . ' icetap_tables_api_body_limit 0; }',
      qr/invalid body limit "0"/ ],
);

for my $b (@bad) {
    my ($what, $http, $conf, $re) = @$b;
    my $e = Test::Icetap::Env->new(http_config => $http, config => $conf);
    $e->prepare;
    my ($ok, $out) = $e->test_conf;
    ok(!$ok, "nginx -t refuses: $what");
    like($out, $re, "$what: the message");
}

done_testing;
