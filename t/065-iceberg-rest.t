# The Iceberg REST catalog through nginx (icetap_tables_api, /iceberg/):
# a SigV4-signing Python client (botocore, signing name s3tables) sends
# commits shaped as the Java RESTCatalog and PyIceberg send them, and
# the resulting metadata is checked against the table spec for v2 and
# v3; iceberg-js (npm) lists namespaces and tables, creates and loads
# tables; icebird reads a v2 and a v3 table whose Parquet data file
# (DuckDB) and manifests (avsc) were written through the gateway's S3
# endpoint and committed with add-snapshot through the REST API.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Test::More;
use Test::Icetap::Env;

plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('iceberg-js', 'icebird', 'avsc', '@duckdb/node-api') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;
my $js_arn = 'arn:aws:s3tables:us-east-1:111122223333:bucket/jsbucket';

my $env = Test::Icetap::Env->new(http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP
    config => <<"CONF");
location ~ ^/iceberg/ {
    icetap_tables_api;
    icetap_policy allow $ak s3tables:* *;
    icetap_policy allow * s3tables:* $js_arn*;
}
location / {
    proxy_pass http://127.0.0.1:\$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host \$http_host;
    client_max_body_size 0;
}
CONF

$env->start;

my $py = "$FindBin::Bin/py/iceberg_rest.py";

$env->run_py($py, 'seed', 'lakehouse');
$env->run_py($py, 'seed', 'jsbucket');

# Java and PyIceberg shaped commits, v2 and v3

my $r = $env->run_py_json($py, 'commits', 'lakehouse');

is($r->{config}[0], 200, 'config');
is($r->{config}[1]{overrides}{prefix},
   'arn%3Aaws%3As3tables%3Aus-east-1%3A111122223333%3Abucket%2Flakehouse',
   'config: prefix is the URL-encoded table bucket ARN');
is($r->{create_ns}, 200, 'namespace created');

for my $v (2, 3) {
    my $t = $r->{"events_v$v"};
    is($t->{create}, 200, "v$v: created");
    is_deeply($t->{add_schema}, [200, 1], "v$v: add-schema, current -1");
    is_deeply($t->{add_spec}, [200, 1], "v$v: add-spec, default -1");
    is($t->{append1}, 200, "v$v: PyIceberg append on an empty main");
    is($t->{append2}, 200, "v$v: PyIceberg append on main");
    is_deeply($t->{stale}, [409, 'CommitFailedException'],
              "v$v: stale assert-ref-snapshot-id is 409");
    ok($t->{stale_nothing_written}, "v$v: the rejected commit wrote nothing");
    is($t->{set_properties}, 200, "v$v: set-properties");
    is($t->{properties}{owner}, 'tests', "v$v: property kept");
    ok(!exists $t->{properties}{'format-version'},
       "v$v: format-version is not a property");
    is($t->{remove_snapshots}, 200, "v$v: remove-snapshots");
    is_deeply($t->{snapshots}, [1002], "v$v: snapshot 1001 removed");
    is($t->{parent_of_1002}, 1001, "v$v: parent link kept");
    is_deeply($t->{errors}, [], "v$v: committed metadata valid")
        or diag explain $t->{errors};
    is_deeply($t->{md2_errors}, [], "v$v: intermediate metadata valid");
    is_deeply($t->{load_errors}, [], "v$v: loaded metadata valid");
    is($t->{load}[0], 200, "v$v: load");
    is($t->{load}[1], $t->{location}, "v$v: load sees the last commit");
    like($t->{location}, qr{^s3://icetap-state/icetap/warehouse/lakehouse/[^/]+/metadata/00006-[0-9a-f-]{36}\.metadata\.json$},
         "v$v: metadata file name");
    is($t->{metadata_log}, 6, "v$v: metadata log");
    is($t->{load_config}{'s3.endpoint'}, $env->endpoint,
       "v$v: config names the gateway's S3 endpoint");
    is($t->{load_config}{'s3.path-style-access'}, 'true',
       "v$v: path-style access");
}
is($r->{events_v3}{next_row_id}, 20, 'v3: next-row-id advanced by both');

# iceberg-js: namespaces and tables; icebird over a REST commit

$env->run_py($py, 'public-read');

my $js = $env->run_cmd(['node', "$FindBin::Bin/js/iceberg_rest.mjs",
                        $env->endpoint, $js_arn]);
my $j = eval { decode_json($js) } or diag $env->{py}{err};

is_deeply($j->{namespaces}, [['jsns']], 'iceberg-js: listNamespaces');
ok($j->{nsExists}, 'iceberg-js: namespaceExists');
ok(!$j->{nsMissing}, 'iceberg-js: namespaceExists on a missing one');
is($j->{created}{'format-version'}, 2, 'iceberg-js: createTable');
is_deeply($j->{tables}, [{namespace => ['jsns'], name => 'pets'}],
          'iceberg-js: listTables');
is($j->{loaded}{'table-uuid'}, $j->{created}{'table-uuid'},
   'iceberg-js: loadTable');
ok($j->{tableExists}, 'iceberg-js: tableExists');
is($j->{duplicate}, 409, 'iceberg-js: createTable again is 409');
for my $t (['pets', 2], ['pets3', 3]) {
    my ($name, $v) = @$t;
    my $p = $j->{$name};
    is($p->{commit}, 200, "$name: add-snapshot commit of the written files");
    is($p->{formatVersion}, $v, "$name: format v$v");
    is($p->{rows}, 5, "$name: icebird reads every row back");
    is_deeply($p->{names}, [qw(ada bob cyd dee eve)],
              "$name: icebird: the values");
    is($p->{outside}, 0, "$name: icebird read through the gateway only");
}
is($j->{pets3}{nextRowId}, 5, 'pets3: next-row-id after the v3 append');

my $log = $env->error_log;
like($log, qr/authorization: principal "\Q$ak\E" action "s3tables:UpdateTableMetadataLocation"/,
     'decisions logged');

$env->stop;
ok(!$env->log_problems, 'no alerts, crits or errors');

done_testing();
