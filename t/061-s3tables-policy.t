# Who may do what through the S3 Tables API: icetap_policy rules from the
# configuration combined with the resource policies of table buckets and
# tables, as IAM combines them (an explicit deny anywhere wins; an allow
# is needed from somewhere; anonymous requests only where "*" is
# allowed).  A matrix of keys, actions, resources and policies
# (t/py/s3tables_policy.py), signatures (wrong secret, unknown key, other
# region, presigned, expired, signing name s3), and the decision lines
# of the log.

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
my $B = 'arn:aws:s3tables:us-east-1:111122223333:bucket';

my $env = Test::Icetap::Env->new(http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_access_key AKIAREADER0000000000 reader-secret-0000000000000000000000000;
icetap_access_key AKIAWRITER0000000000 writer-secret-0000000000000000000000000;
icetap_access_key AKIAOTHER00000000000 other-secret-00000000000000000000000000;

icetap_policy allow $ak s3tables:* *;
icetap_policy deny * s3tables:DeleteTable $B/locked/table/*;
icetap_policy allow * s3tables:GetTableBucket $B/public-anon;
HTTP
    config => <<"CONF");
location / {
    icetap_tables_api;

    icetap_policy allow $ak s3tables:* *;
    icetap_policy deny * s3tables:DeleteTable $B/locked/table/*;
    icetap_policy allow * s3tables:GetTableBucket $B/public-anon;
    icetap_policy allow AKIAREADER0000000000 s3tables:Get* $B/pub*;
    icetap_policy allow AKIAREADER0000000000 s3tables:List* *;
    icetap_policy allow AKIAWRITER0000000000 s3tables:* $B/work*;
    icetap_policy deny AKIAWRITER0000000000 s3tables:DeleteTableBucket *;
}

location /inherit/ {
    icetap_tables_api;
}
CONF

$env->start;

my $r = $env->run_py_json('t/py/s3tables_policy.py');
my $cases = 0;

for my $c (@{ $r->{checks} }) {
    ok($c->[1], $c->[0]) or diag explain $c->[2];
    $cases++ if $c->[0] =~ /^\d\d /;
}

ok($cases >= 30, "$cases allow/deny cases");

# a location without rules of its own inherits those of the http block

my $res = $env->request(method => 'GET', uri => '/inherit/buckets',
                        sign => 1);
is($res->{status}, 200, 'inherited rules: the key may list')
    or diag $res->{body};
$res = $env->request(method => 'GET', uri => '/inherit/buckets');
is($res->{status}, 403, 'inherited rules: anonymous may not');
is($res->{headers}{'x-amzn-errortype'}, 'AccessDeniedException',
   'as AccessDeniedException');

# a bearer token (iceberg-js) is no signature: the request is anonymous

$res = $env->request(method => 'GET', uri => '/inherit/buckets',
                     headers => { Authorization => 'Bearer abc' });
is($res->{status}, 403, 'a bearer token is anonymous: denied');
is($res->{headers}{'x-amzn-errortype'}, 'AccessDeniedException',
   'by policy, not as a bad signature');
$res = $env->request(method => 'GET',
                     uri => '/inherit/buckets/'
                            . 'arn%3Aaws%3As3tables%3Aus-east-1%3A'
                            . '111122223333%3Abucket%2Fpublic-anon',
                     headers => { Authorization => 'Bearer abc' });
is($res->{status}, 200, 'a bearer token gets what anybody may')
    or diag $res->{body};

$env->stop;

my $log = $env->error_log;
my $p = qr/icetap: authorization: principal/;

ok($log =~ qr/$p "AKIAREADER0000000000" action "s3tables:GetTableBucket" resource "\Q$B\E\/pub-data": allowed by config/,
     'log: allowed by config');
ok($log =~ qr/$p "AKIAOTHER00000000000" action "s3tables:GetTableBucket" resource "\Q$B\E\/shared": allowed by table bucket policy/,
     'log: allowed by a bucket policy');
ok($log =~ qr/$p "anonymous" action "s3tables:GetTable" resource "\Q$B\E\/shared\/table\/[-0-9a-f]+": allowed by table policy/,
     'log: anonymous allowed by a table policy');
ok($log =~ qr/$p "\Q$ak\E" action "s3tables:UpdateTableMetadataLocation" resource "[^"]+": denied by table policy/,
     'log: explicit deny of a table policy');
ok($log =~ qr/$p "\Q$ak\E" action "s3tables:DeleteTable" resource "\Q$B\E\/locked\/table\/[-0-9a-f]+": denied by config/,
     'log: explicit deny of the configuration');
ok($log =~ qr/$p "AKIAOTHER00000000000" action "s3tables:DeleteTable" resource "[^"]+": denied implicitly/,
     'log: nothing allowed it');
is_deeply([$env->log_problems], [], 'no errors in the log');

done_testing;
