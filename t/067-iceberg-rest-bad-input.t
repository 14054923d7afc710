# Bad input to the Iceberg REST catalog through nginx: malformed JSON,
# unknown update and requirement types, wrong prefixes and ARNs,
# oversized bodies, failing requirements, names S3 Tables refuses.
# Each gets its precise 4xx in the ErrorModel shape, and the store's
# listing (keys and ETags) is the same before and after the request.
# Unsigned and wrongly signed requests are refused before the handler.

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
location ~ ^/iceberg/ {
    icetap_tables_api;
    icetap_tables_api_body_limit 1m;
    client_max_body_size 16m;
    icetap_policy allow $ak s3tables:* *;
}
CONF

$env->start;

my $py = "$FindBin::Bin/py/iceberg_rest.py";
$env->run_py($py, 'seed', 'badbucket');

my $r = $env->run_py_json($py, 'bad', 'badbucket');

my %want = (
    malformed_json        => [400, 'BadRequestException'],
    not_an_object         => [400, 'BadRequestException'],
    duplicate_keys        => [400, 'BadRequestException'],
    unknown_update        => [400, 'BadRequestException'],
    update_without_action => [400, 'BadRequestException'],
    unknown_requirement   => [400, 'BadRequestException'],
    bad_snapshot          => [400, 'BadRequestException'],
    dangling_ref          => [400, 'BadRequestException'],
    bad_schema            => [400, 'BadRequestException'],
    uuid_mismatch         => [409, 'CommitFailedException'],
    schema_id_mismatch    => [409, 'CommitFailedException'],
    ref_mismatch          => [409, 'CommitFailedException'],
    unknown_prefix_bucket => [404, 'NoSuchWarehouseException'],
    foreign_account       => [404, 'NoSuchWarehouseException'],
    prefix_not_arn        => [400, 'BadRequestException'],
    malformed_arn         => [400, 'BadRequestException'],
    warehouse_unknown     => [404, 'NoSuchWarehouseException'],
    bad_namespace_name    => [400, 'BadRequestException'],
    nested_namespace      => [400, 'BadRequestException'],
    bad_table_name        => [400, 'BadRequestException'],
    table_exists          => [409, 'AlreadyExistsException'],
    missing_namespace     => [404, 'NoSuchNamespaceException'],
    missing_table         => [404, 'NoSuchTableException'],
    namespace_not_empty   => [409, 'NamespaceNotEmptyException'],
    drop_without_purge    => [400, 'BadRequestException'],
    oversized             => [413, 'BadRequestException'],
    unknown_route         => [400, 'BadRequestException'],
    unsigned              => [403, 'ForbiddenException'],
    wrong_secret          => [403, 'ForbiddenException'],
    unknown_key           => [403, 'ForbiddenException'],
);

for my $case (sort keys %want) {
    my $got = $r->{$case};
    is_deeply([$got->{status}, $got->{type}], $want{$case},
              "$case: $want{$case}[0] $want{$case}[1]");
    is($got->{code}, $got->{status}, "$case: ErrorModel code");
    ok($got->{has_message}, "$case: ErrorModel message");
    ok($got->{unchanged}, "$case: nothing written");
}
is(scalar(grep { !$want{$_} && $_ ne 'after' } keys %$r), 0,
   'every case checked');
is($r->{after}, 200, 'the table still takes a good commit');

$env->stop;
ok(!$env->log_problems(allow_error => 1), 'no alerts or crits');

done_testing();
