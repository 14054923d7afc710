# Transparent proxy with the AWS CLI (aws s3 cp/ls/sync/rm, aws s3api):
# the same commands through the gateway and against the store give the
# same results.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::Compare;

plan skip_all => 'aws CLI not on PATH'
    unless grep { -x "$_/aws" } split /:/, $ENV{PATH};

my $env = proxy_env();
$env->start;
my @workers = $env->worker_pids;

my ($gw) = compare_runs($env, 't/py/cli_scenarios.py', 'path',
                        'clgw', 'cls3');
my $m = step_map($gw);

is($m->{'cp big (multipart)'}{rc}, 0, 'multipart cp succeeded');
ok($m->{'big roundtrip'}, '9 MiB object intact');
ok($m->{'sync roundtrip'}, 'sync up and down gives the same files');
is(scalar @{$m->{'ls recursive'}{out}}, 6, 'ls --recursive lists 6 keys')
    or diag explain $m->{'ls recursive'};
is($m->{'s3api get-object missing'}{error}, 'NoSuchKey', 'NoSuchKey');
is_deeply($m->{'ls empty'}{out}, [], 'empty after rm --recursive');

my @recs = grep { $_->{bucket} eq 'clgw-cli' } $env->wal_records;
my ($big) = grep { $_->{key} eq 'big.bin' } @recs;
ok($big && $big->{is_multipart}, 'multipart cp recorded as multipart');

is_deeply([$env->worker_pids], \@workers, 'no worker died');
$env->stop;
is_deeply([$env->log_problems], [], 'no alert/crit/error in the log');

done_testing();
