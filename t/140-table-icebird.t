# icebird, an Iceberg reader icetap did not write, reads whole v2 tables
# the core wrote to the moto store -- appends with rolled files, position
# deletes, an overwrite, more position deletes -- and returns exactly the
# live rows the writer's own bookkeeping expects.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Test::More;

use Test::Icetap::Moto;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $bin = "$build/unit/table_driver";
my $js = "$FindBin::Bin/js/table_icebird.mjs";

plan skip_all => "$bin not built (run make)" unless -x $bin;
plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
plan skip_all => 'icebird not installed (make deps)'
    unless -d "$FindBin::Bin/node_modules/icebird";
plan skip_all => 'moto_server not found'
    unless `command -v moto_server 2>/dev/null`;
plan skip_all => 'boto3 not found'
    unless system('python3', '-c', 'import boto3') == 0;

my $moto = Test::Icetap::Moto->instance;
my $endpoint = $moto->endpoint;

local $ENV{AWS_ACCESS_KEY_ID} = 'AKIAIOSFODNN7EXAMPLE';
local $ENV{AWS_SECRET_ACCESS_KEY} = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
local $ENV{AWS_DEFAULT_REGION} = 'us-east-1';
local $ENV{AWS_EC2_METADATA_DISABLED} = 'true';

# icebird fetches without credentials: let anyone read the bucket

sub public_read {
    my ($bucket) = @_;
    my $py = <<'PY';
import boto3, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1])
s3.put_bucket_policy(Bucket=sys.argv[2], Policy=json.dumps({
    'Version': '2012-10-17',
    'Statement': [{'Effect': 'Allow', 'Principal': '*',
                   'Action': 's3:GetObject',
                   'Resource': 'arn:aws:s3:::%s/*' % sys.argv[2]}]}))
PY
    return system('python3', '-c', $py, $endpoint, $bucket) == 0;
}

for my $case (['tbl-plain', 'wh/db/events'], ['tbl-deep', 'a/b/c/t']) {
    my ($bucket, $prefix) = @$case;

    my $out = `'$bin' v2 s3 '$endpoint' '$bucket' '$prefix' 2>&1`;
    is($?, 0, "$bucket: the core writes the v2 table") or diag $out;
    my $want = eval { decode_json($out) } or do {
        fail("$bucket: driver output is JSON");
        diag $out;
        next;
    };

    ok(@{ $want->{live} } > 300 && @{ $want->{deleted} } > 10,
       "$bucket: " . @{ $want->{live} } . ' live rows, '
       . @{ $want->{deleted} } . ' deleted or overwritten');
    like($want->{metadata}, qr{/metadata/v6\.metadata\.json$},
         "$bucket: six versions, Hadoop naming");

    ok(public_read($bucket), "$bucket: public-read policy");

    $out = `node '$js' '$endpoint' 's3://$bucket/$prefix' 2>&1`;
    is($?, 0, "$bucket: icebird reads the table") or diag $out;
    my $got = eval { decode_json($out) } or do {
        fail("$bucket: icebird output is JSON");
        diag $out;
        next;
    };

    is($got->{outside}, 0, "$bucket: every request went to the local store");
    is($got->{bad}, 0, "$bucket: every column matches the row's id");
    is_deeply($got->{live}, $want->{live},
              "$bucket: icebird returns exactly the live rows");
}

done_testing();
