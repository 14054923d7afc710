# A 200 MB object streams through the gateway (PUT and GET) without being
# held in memory: the worker's peak RSS (VmHWM) grows far less than the
# object size.  ICETAP_LARGE_MB changes the size.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::Compare;

my $mb = $ENV{ICETAP_LARGE_MB} // 200;

my $env = proxy_env();
$env->start;
my ($worker) = $env->worker_pids;

my $before = $env->vm_status($worker)->{VmHWM};
ok($before, "worker $worker peak RSS before: $before kB");

my $res = $env->run_py_json('t/py/big_object.py', 'gw', 'large', 'big.bin',
                            $mb);

is($res->{put}, 200, "PUT of $mb MB through the gateway");
is($res->{get}, 200, 'GET through the gateway');
is($res->{size}, $mb * 1024 * 1024, 'all bytes came back');
ok($res->{md5_ok}, 'the same bytes');
ok($res->{etag_ok}, 'the store computed the MD5 of the whole body');

my $after = $env->vm_status($worker)->{VmHWM};
my $growth = $after - $before;
note "worker peak RSS after: $after kB (growth $growth kB)";
cmp_ok($growth, '<', 64 * 1024, 'worker peak RSS grew less than 64 MB');

is_deeply([$env->worker_pids], [$worker], 'the worker survived');

my @recs = $env->wal_records;
is(scalar @recs, 1, 'one WAL record');
is($recs[0]{size}, $mb * 1024 * 1024, 'with the full size') if @recs;

$env->stop;
is_deeply([$env->log_problems], [], 'no alert/crit/error in the log');

done_testing();
