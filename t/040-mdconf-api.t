# The S3 Metadata configuration API with boto3 through the gateway,
# path-style and virtual-hosted: V2 create/get/update/delete, V1
# create/get/delete and the 405 rules, NoSuchBucket, the configuration
# document in the store after every step; and that none of these requests
# reached the store or the WAL.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
    icetap_virtual_host_suffix s3.local;
}
CONF

# the store's log is kept across runs: look at this run's part only
my $moto_log = $env->servroot . '/moto.log';
my $moto_from = -s $moto_log // 0;

$env->start;

my $ARN = 'arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3';
my $UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-'
         . '[0-9a-f]{12}';

for my $style (qw(path virtual)) {
    my $p = $style eq 'path' ? 'mdp' : 'mdv';
    my $r = $env->run_py_json('t/py/mdconf_lifecycle.py', $style, $p,
                              'icetap-state');
    my $b = "$p-v2";

    my $err = sub {
        my ($step, $status, $code) = @_;
        is_deeply([$r->{$step}{status}, $r->{$step}{error}],
                  [$status, $code], "$style: $step: $status $code")
            or diag explain $r->{$step};
    };
    my $okay = sub {
        my ($step) = @_;
        ok(exists $r->{$step}{ok}, "$style: $step succeeds")
            or diag explain $r->{$step};
        return $r->{$step}{ok};
    };

    $err->('get none', 404, 'MetadataConfigurationNotFound');
    $err->('delete none', 404, 'MetadataConfigurationNotFound');
    $okay->('create');

    # the document written by the create

    my $d = $r->{'doc create'};
    is($d->{format}, 1, "$style: document format 1");
    is($d->{version}, 'V2', "$style: V2 document");
    is($d->{bucket}, $b, "$style: bucket");
    is_deeply($d->{destination},
              { table_bucket_type => 'aws', table_bucket_arn => $ARN,
                namespace => "b_$b" }, "$style: destination");
    like($d->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
         "$style: created_at");
    ok(abs($d->{enabled_at_us} / 1e6 - time) < 120,
       "$style: enabled_at_us is now ($d->{enabled_at_us})");
    is($d->{journal}{status}, 'CREATING', "$style: journal CREATING");
    is($d->{journal}{table_name}, 'journal', "$style: journal name");
    like($d->{journal}{table_arn}, qr{^\Q$ARN\E/table/$UUID$},
         "$style: journal table ARN");
    is_deeply($d->{journal}{record_expiration},
              { expiration => 'ENABLED', days => 30 },
              "$style: record expiration stored");
    is($d->{inventory}{configuration_state}, 'ENABLED',
       "$style: inventory enabled");
    is($d->{inventory}{status}, 'CREATING', "$style: inventory CREATING");
    is_deeply($d->{inventory}{encryption}, { sse_algorithm => 'AES256' },
              "$style: inventory encryption stored");
    like($d->{inventory}{table_arn}, qr{^\Q$ARN\E/table/$UUID$},
         "$style: inventory table ARN");
    isnt($d->{inventory}{table_arn}, $d->{journal}{table_arn},
         "$style: two table ids");

    # what boto3 parsed from the Get

    my $g = $okay->('get');
    my $m = $g->{GetBucketMetadataConfigurationResult}
              {MetadataConfigurationResult};
    is_deeply($m->{DestinationResult},
              { TableBucketType => 'aws', TableBucketArn => $ARN,
                TableNamespace => "b_$b" }, "$style: get: destination");
    is_deeply($m->{JournalTableConfigurationResult},
              { TableStatus => 'CREATING', TableName => 'journal',
                TableArn => $d->{journal}{table_arn},
                RecordExpiration => { Expiration => 'ENABLED',
                                      Days => 30 } },
              "$style: get: journal result");
    is_deeply($m->{InventoryTableConfigurationResult},
              { ConfigurationState => 'ENABLED', TableStatus => 'CREATING',
                TableName => 'inventory',
                TableArn => $d->{inventory}{table_arn} },
              "$style: get: inventory result");

    $err->('create again', 409, 'MetadataConfigurationAlreadyExists');

    # updates

    $okay->('journal 90');
    is_deeply($r->{'doc journal 90'}{journal}{record_expiration},
              { expiration => 'ENABLED', days => 90 },
              "$style: 90 days stored");
    is($r->{'doc journal 90'}{inventory}{table_arn},
       $d->{inventory}{table_arn}, "$style: inventory untouched");
    is($r->{'doc journal 90'}{enabled_at_us}, $d->{enabled_at_us},
       "$style: enabled_at_us kept");
    is_deeply($r->{'get journal 90'}{ok}{GetBucketMetadataConfigurationResult}
              {MetadataConfigurationResult}{JournalTableConfigurationResult}
              {RecordExpiration}, { Expiration => 'ENABLED', Days => 90 },
              "$style: get shows 90 days");

    $okay->('journal off');
    is_deeply($r->{'get journal off'}{ok}
              {GetBucketMetadataConfigurationResult}
              {MetadataConfigurationResult}{JournalTableConfigurationResult}
              {RecordExpiration}, { Expiration => 'DISABLED' },
              "$style: get shows DISABLED without Days");

    $okay->('inventory off');
    is_deeply($r->{'doc inventory off'}{inventory},
              { configuration_state => 'DISABLED',
                enabled_at_us => $d->{inventory}{enabled_at_us} },
              "$style: inventory disabled in the document");
    is_deeply($r->{'get inventory off'}{ok}
              {GetBucketMetadataConfigurationResult}
              {MetadataConfigurationResult}
              {InventoryTableConfigurationResult},
              { ConfigurationState => 'DISABLED' },
              "$style: get shows the inventory DISABLED");

    $okay->('inventory on');
    my $inv = $r->{'doc inventory on'}{inventory};
    is($inv->{status}, 'CREATING', "$style: re-enabled inventory CREATING");
    like($inv->{table_arn}, qr{^\Q$ARN\E/table/$UUID$},
         "$style: re-enabled inventory table ARN");
    isnt($inv->{table_arn}, $d->{inventory}{table_arn},
         "$style: a new inventory table");
    ok($inv->{enabled_at_us} >= $d->{inventory}{enabled_at_us},
       "$style: inventory enabled_at_us moved on");

    $err->('v1 get of v2', 405, 'MethodNotAllowed');
    $err->('v1 delete of v2', 405, 'MethodNotAllowed');

    $okay->('delete');
    is($r->{'doc delete'}, 'NoSuchKey', "$style: document deleted");
    $err->('get deleted', 404, 'MetadataConfigurationNotFound');
    $err->('journal deleted', 404, 'MetadataConfigurationNotFound');

    $okay->('recreate');
    isnt($r->{'doc recreate'}{journal}{table_arn}, $d->{journal}{table_arn},
         "$style: recreated with a new journal table");
    ok(!exists $r->{'doc recreate'}{inventory},
       "$style: recreated without inventory");
    ok(!exists $r->{'get recreated'}{ok}
       {GetBucketMetadataConfigurationResult}{MetadataConfigurationResult}
       {InventoryTableConfigurationResult},
       "$style: get without an inventory result");

    # V1

    my $v1 = "$p-v1";
    my $tb = 'arn:aws:s3tables:us-east-1:111122223333:bucket/analytics';

    $err->('v1 get none', 404, 'MetadataConfigurationNotFound');
    $okay->('v1 create');
    my $d1 = $r->{'doc v1 create'};
    is($d1->{version}, 'V1', "$style: V1 document");
    is_deeply($d1->{destination},
              { table_bucket_type => 'customer', table_bucket_arn => $tb,
                namespace => 'aws_s3_metadata' }, "$style: V1 destination");
    is($d1->{journal}{table_name}, 'photos_journal', "$style: V1 table");
    like($d1->{journal}{table_arn}, qr{^\Q$tb\E/table/$UUID$},
         "$style: V1 table ARN");
    $err->('v1 create again', 409, 'MetadataConfigurationAlreadyExists');

    is_deeply($okay->('v1 get'),
              { GetBucketMetadataTableConfigurationResult => {
                  MetadataTableConfigurationResult => {
                      S3TablesDestinationResult => {
                          TableBucketArn => $tb,
                          TableName => 'photos_journal',
                          TableArn => $d1->{journal}{table_arn},
                          TableNamespace => 'aws_s3_metadata' } },
                  Status => 'CREATING' } }, "$style: V1 get");

    is($okay->('v2 get of v1')->{GetBucketMetadataConfigurationResult}
       {MetadataConfigurationResult}{DestinationResult}{TableBucketType},
       'customer', "$style: V2 get of a V1 configuration: customer");
    $err->('journal of v1', 405, 'MethodNotAllowed');
    $okay->('v1 delete');
    is($r->{'doc v1 delete'}, 'NoSuchKey', "$style: V1 document deleted");
    $err->('v1 get deleted', 404, 'MetadataConfigurationNotFound');

    $err->('no bucket', 404, 'NoSuchBucket');
    $err->('no bucket get', 404, 'NoSuchBucket');
}

# answered by icetap: the store never saw them, the WAL has nothing

my @recs = $env->wal_records;
is(scalar @recs, 0, 'no WAL record for any configuration request')
    or diag $env->wal_dump;

$env->stop;

my $moto = do { local (@ARGV, $/) = ($moto_log); <> };
$moto = substr($moto, $moto_from);
ok(length $moto, 'the store logged requests');
my $doc = quotemeta '/icetap-state/icetap/config/buckets/mdp-v2/metadata.json';
my $bkt = qr{"PUT /icetap-state/ HTTP/1\.1" 200 };
my $first = qr{"PUT $doc HTTP/1\.1" 404 .*?$bkt.*?"PUT $doc HTTP/1\.1" 200}s;
like($moto, $first,
     'the state bucket was created at first use');
unlike($moto, qr/[?&]metadata(?:Configuration|JournalTable|InventoryTable
                                |Table)\b/x,
       'no configuration request was forwarded to the store');
like($moto, qr{PUT /icetap-state/icetap/config/buckets/mdv-v2/metadata\.json},
     'the documents were written to the state bucket');

is_deeply([$env->log_problems], [], 'no errors in the log');

done_testing();
