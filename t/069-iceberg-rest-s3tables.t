# The S3 Tables API (boto3 s3tables) and the Iceberg REST catalog on the
# same tables, through one icetap_tables_api location: a table created
# with the API loads through REST; a REST commit moves the metadata
# location and version token the API reports, a stale token is then a
# ConflictException; a pointer moved by the API is what REST loads next,
# and a REST client that missed it gets 409; a REST-created table is
# listed and described by the API; a table bucket policy put through the
# API (deny UpdateTableMetadataLocation) refuses REST commits until it is
# deleted; deletes through either API are seen by the other.

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
HTTP
    config => <<"CONF");
location / {
    icetap_tables_api;
    icetap_policy allow $ak s3tables:* *;
}
CONF

$env->start;

my $py = "$FindBin::Bin/py/iceberg_rest.py";
$env->run_py($py, 'seed', 'unused');     # creates the state bucket
my $r = $env->run_py_json($py, 'xapi');

is($r->{arn}, 'arn:aws:s3tables:us-east-1:111122223333:bucket/xapi',
   'table bucket ARN');
is($r->{rest_load}, 200, 'API-created table loads through REST');
is_deeply($r->{rest_fields}, ['id', 'v'], 'with its schema');
ok($r->{same_location}, 'same metadata location');
ok($r->{api_token}, 'same version token');
is($r->{rest_commit}, 200, 'REST commit');
ok($r->{api_sees_commit}, 'API reports the committed location');
ok($r->{token_changed}, 'and a new version token');
is($r->{stale_token}, 'ConflictException', 'stale token after REST commit');
is($r->{api_swap}, 'ok', 'API moves the pointer');
ok($r->{rest_sees_swap}, 'REST loads where the API pointed');
is($r->{rest_stale}, 409, 'REST commit on the old head is refused');
is($r->{rest_create}, 200, 'REST creates a table');
ok($r->{api_get}, 'API describes it');
is_deeply($r->{api_list}, ['from_api', 'from_rest'], 'API lists both');
is_deeply($r->{denied_commit}, [403, 'ForbiddenException'],
          'bucket policy denies REST commits');
is($r->{load_still_allowed}, 200, 'but not loads');
is($r->{commit_after_policy}, 200, 'policy deleted: commit goes through');
is($r->{rest_after_api_delete}, 404, 'API delete seen by REST');
is($r->{rest_drop}, 204, 'REST drop');
ok($r->{files_before_drop} >= 2, "$r->{files_before_drop} files before");
is_deeply($r->{files_left}, [], 'purge removed every file of the table');
is($r->{api_after_rest_drop}, 'NotFoundException', 'seen by the API');
is($r->{rest_drop_ns}, 204, 'REST drops the empty namespace');
is_deeply($r->{api_namespaces}, [], 'API lists no namespace');

$env->stop;
ok(!$env->log_problems, 'no alerts, crits or errors');

done_testing();
