# S3 Metadata's journal table in table bucket aws-s3, through the
# Iceberg REST catalog: boto3 enables a metadata configuration on a
# bucket and writes to it through the tap; the journal helper commits;
# the REST catalog lists the namespace b_<bucket> and table journal and
# loads valid v3 metadata, while commits, drops, renames and new
# namespaces or tables in aws-s3 are refused with 403 ForbiddenException
# and change nothing in the catalog.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
HTTP
    config => <<"CONF");
location ~ ^/iceberg/ {
    icetap_tables_api;
    icetap_policy allow $ak s3tables:* *;
}
location / {
    proxy_pass http://127.0.0.1:\$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host \$http_host;
    client_max_body_size 0;
    icetap_tap on;
}
CONF

$env->start;

my $py = "$FindBin::Bin/py/iceberg_rest.py";
my $r = $env->run_py_json($py, 'managed', 'photos');

ok($r->{loaded}, 'the journal table loads with a snapshot');
is($r->{config}[0], 200, 'config of warehouse aws-s3');
is_deeply($r->{namespaces}[1]{namespaces}, [['b_photos']],
          'namespace b_photos listed');
is_deeply($r->{tables}[1]{identifiers},
          [{namespace => ['b_photos'], name => 'journal'}],
          'table journal listed');
is($r->{format_version}, 3, 'Iceberg v3');
is_deeply($r->{errors}, [], 'metadata valid');
for my $op (qw(commit drop rename create_ns create_table drop_ns)) {
    is($r->{$op}[0], 403, "$op refused");
    is($r->{$op}[1]{error}{type}, 'ForbiddenException', "$op: type");
}
ok($r->{unchanged}, 'the catalog is unchanged');
is($r->{still_loads}, 200, 'the journal still loads');

$env->stop;
ok(!$env->log_problems, 'no alerts, crits or errors');

done_testing();
