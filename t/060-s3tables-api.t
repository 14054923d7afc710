# The S3 Tables control-plane API with boto3 s3tables through the
# gateway: the whole lifecycle of table buckets, namespaces and tables
# with every documented error case on the way (t/py/s3tables_lifecycle.py),
# once at the server's root and once under a location prefix; and the
# journal's metadata tables in the managed table bucket aws-s3: listed and
# readable, never writable (t/py/s3tables_journal.py).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP;
use JSON::PP;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

# runs a scenario of t/py (with the state bucket in the environment) and
# turns its checks into tests; returns how many there were

sub checks {
    my ($env, $what, $state, @args) = @_;
    my $out = $env->run_cmd(['python3', @args],
                            env => { ICETAP_STATE_BUCKET => $state });
    my $r = JSON::PP->new->utf8->decode($out);
    for my $c (@{ $r->{checks} }) {
        ok($c->[1], "$what: $c->[0]") or diag explain $c->[2];
    }
    return scalar @{ $r->{checks} };
}

# at the root, as AWS serves it

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_policy allow $ak s3tables:* *;
HTTP
    config => <<'CONF');
location / {
    icetap_tables_api;
}
CONF

$env->start;

my $n = checks($env, 'root', 'icetap-state', 't/py/s3tables_lifecycle.py');
ok($n > 150, "the lifecycle ran $n checks");

my $log = $env->error_log;
like($log, qr/icetap: authorization: principal "\Q$ak\E" action "s3tables:CreateTableBucket" resource "arn:aws:s3tables:us-east-1:111122223333:bucket\/analytics": allowed by config/,
     'decisions are logged with principal, action, resource, outcome');

$env->stop;
is_deeply([$env->log_problems], [], 'no errors in the log');

# under a location prefix, beside the S3 proxy with the journal

$env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state2
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
icetap_policy allow $ak s3tables:* *;
HTTP
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
location /tables/ {
    icetap_tables_api;
}
CONF

$env->start;

checks($env, 'prefix', 'icetap-state2', 't/py/s3tables_lifecycle.py',
       '/tables');
checks($env, 'journal', 'icetap-state2', 't/py/s3tables_journal.py',
       '/tables');

$env->stop;
is_deeply([$env->log_problems], [], 'no errors in the log');

done_testing;
