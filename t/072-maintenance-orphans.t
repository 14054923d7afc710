# Unreferenced-file removal and concurrency, with the plugin's clock
# moved forward by reloads (clock_offset): files left by failed commits
# (data files written and never committed, a stray metadata file) stay
# while younger than unreferencedDays, are marked noncurrent once older,
# and are deleted only nonCurrentDays after the mark.  Meanwhile the
# plugin compacts, expires snapshots (maxSnapshotAgeHours 1) and removes
# files in passes one second apart while appends and deletes commit
# concurrently: every file a snapshot of the table references exists
# after every step, and no commit is lost (the live ids are exactly the
# appended ones minus the deleted ones).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $drv = "$build/unit/maint_driver";

plan skip_all => "$drv not built (run make)" unless -x $drv;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;
my $state = 'icetap-state';
my @tbl = ('analytics', 'sales', 'busy');

sub http_config {
    my ($offset) = @_;
    return <<"HTTP";
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=$state
             access_key=$ak secret_key=$sk addressing=path;
icetap_plugin maintenance $root/plugins/maintenance.lua interval=1
              clock_offset=$offset;
HTTP
}

my $env = Test::Icetap::Env->new(workers => 1,
                                 http_config => http_config('0s'),
                                 config => "location / { return 204; }\n");

my $s3 = $env->s3_endpoint;

local $ENV{AWS_ACCESS_KEY_ID} = $ak;
local $ENV{AWS_SECRET_ACCESS_KEY} = $sk;
local $ENV{AWS_DEFAULT_REGION} = 'us-east-1';
local $ENV{AWS_EC2_METADATA_DISABLED} = 'true';

sub run_json {
    my (@cmd) = @_;
    my $out = `@cmd 2>&1`;
    my $j = $? == 0 ? eval { decode_json($out) } : undef;
    diag "@cmd:\n$out" unless $j;
    return $j;
}

sub driver { run_json("'$drv'", shift, $s3, $state, @tbl, @_) }

sub catalog {
    run_json('python3', "$FindBin::Bin/py/maint_catalog.py", $s3, $state,
             @_);
}

sub exists_keys {
    my (@keys) = @_;
    my %have = map { $_ => 1 } @{catalog('list', 'icetap/warehouse/') // []};
    return grep { $have{$_} } @keys;
}

# the table, its failed commits, its configuration

my $t = driver('make', 2, 30, 10, 0);
ok($t, 'a fragmented v2 table') or BAIL_OUT('no table');
my %live = map { $_->[0] => 1 } @{$t->{live}};

my @orphans;
for my $range ([100000, 100010], [200000, 200010]) {
    my $o = driver('orphan', @$range);
    push @orphans, @{$o->{orphans} // []};
}
is(scalar @orphans, 6, 'two failed commits left six data files');

my ($prefix) = $t->{warehouse} =~ m{^s3://[^/]+/(.*)$};
my $stray = "$prefix/metadata/99999-00000000-0000-0000-0000-000000000000"
    . '.metadata.json';
system('python3', '-c', <<'PY', $s3, $state, $stray) == 0 or die;
import boto3, sys
boto3.client('s3', endpoint_url=sys.argv[1]).put_object(
    Bucket=sys.argv[2], Key=sys.argv[3], Body=b'{"stray": true}')
PY
push @orphans, $stray;

system('python3', "$FindBin::Bin/py/maint_catalog.py", $s3, $state, 'set',
       'icetap/catalog/analytics.json', 'maintenance',
       encode_json({ icebergUnreferencedFileRemoval => {
           status => 'enabled', settings => {
               icebergUnreferencedFileRemoval => {
                   unreferencedDays => 1, nonCurrentDays => 2 } } } })) == 0
    or die;
system('python3', "$FindBin::Bin/py/maint_catalog.py", $s3, $state, 'set',
       'icetap/catalog/analytics/sales/busy.json', 'maintenance',
       encode_json({ icebergSnapshotManagement => {
           status => 'enabled', settings => {
               icebergSnapshotManagement => {
                   minSnapshotsToKeep => 1,
                   maxSnapshotAgeHours => 1 } } } })) == 0
    or die;

sub passes { scalar(() = $env->error_log =~ /maintenance pass \d+ over/g) }

sub wait_passes {
    my ($n) = @_;
    my $want = passes() + $n;
    my $deadline = time + 120;
    sleep 0.2 while passes() < $want && time < $deadline;
    return passes() >= $want;
}

my $next_id = 1_000_000;
my ($appended, $deleted_rounds, $missing) = (0, 0, 0);

# a burst of concurrent commits while passes run; checks references after
# each step

sub busy {
    my ($rounds, $what) = @_;
    for my $i (1 .. $rounds) {
        my $r = driver('append', $next_id, $next_id + 7);
        if ($r) {
            $live{$_} = 1 for $next_id .. $next_id + 6;
            $appended++;
        }
        $next_id += 7;

        if ($i % 3 == 0) {
            my $mod = 11 + $i;
            my $d = driver('delete', $mod);
            if ($d) {
                delete $live{$_} for grep { $_ % $mod == 0 } keys %live;
                $deleted_rounds++;
            }
        }

        my $rc = driver('refcheck');
        if (!$rc || @{$rc->{missing}}) {
            $missing++;
            diag "$what: missing " . join(' ', @{$rc->{missing} // []});
        }
    }
}

# 1. the clock as it is: nothing is old enough

$env->start;
ok(wait_passes(2), 'passes run');
busy(6, 'now');
ok(wait_passes(1), 'one more pass');
is(scalar(exists_keys(@orphans)), 7, 'now: every orphan is kept');

my $marks = catalog('get', "icetap/maintenance/$t->{table_id}/noncurrent.json");
is(scalar(grep { $marks->{noncurrent}{$_} } @orphans), 0,
   'now: no orphan is marked');

# 2. thirty hours later: marked, not deleted

$env->set_config(http_config => http_config('30h'));
$env->reload(rewrite => 1);
ok(wait_passes(2), 'passes run 30 hours later');
busy(6, '+30h');
ok(wait_passes(1), 'one more pass');

is(scalar(exists_keys(@orphans)), 7, '+30h: every orphan is still there');
$marks = catalog('get', "icetap/maintenance/$t->{table_id}/noncurrent.json");
is(scalar(grep { $marks->{noncurrent}{$_} } @orphans), 7,
   '+30h: every orphan is marked noncurrent');

# 3. a day later: still within nonCurrentDays (2) of the mark

$env->set_config(http_config => http_config('54h'));
$env->reload(rewrite => 1);
ok(wait_passes(2), 'passes run 54 hours later');
busy(3, '+54h');
is(scalar(exists_keys(@orphans)), 7,
   '+54h: kept, only one day after the mark');

# 4. past the window: deleted

$env->set_config(http_config => http_config('80h'));
$env->reload(rewrite => 1);
ok(wait_passes(3), 'passes run 80 hours later');
busy(6, '+80h');
ok(wait_passes(2), 'more passes');

is(scalar(exists_keys(@orphans)), 0,
   '+80h: every orphan is deleted, two days after its mark');

# nothing referenced was deleted, no commit was lost

is($missing, 0, 'every file a snapshot references existed after each step');
ok($appended >= 20 && $deleted_rounds >= 5,
   "commits ran concurrently ($appended appends, $deleted_rounds deletes)");

my $end = driver('files', tempdir(CLEANUP => 1));
ok($end, 'the table reads');
is_deeply([sort { $a <=> $b } map { $_->[0] } @{$end->{live}}],
          [sort { $a <=> $b } keys %live],
          'the live ids are exactly the appended ones minus the deleted ones');
is($end->{bad}, 0, 'every column as written');

my $rc = driver('refcheck');
is_deeply($rc->{missing}, [], 'the final metadata references only files '
          . 'that exist');
ok($rc->{snapshots} < 10, "snapshots expired meanwhile ($rc->{snapshots} "
   . 'left)');

my $entry = catalog('get', 'icetap/catalog/analytics/sales/busy.json');
ok($entry->{maintenance}{icebergSnapshotManagement},
   'the table entry kept its maintenance configuration through the commits');

my $log = $env->error_log;
like($log, qr/compaction \((?:binpack|sort)\): \d+ files/,
     'the plugin compacted meanwhile');
like($log, qr/unreferenced files: \d+ marked, [1-9]\d* deleted/,
     'and deleted unreferenced files');

$env->stop;

# a compaction that lost to a concurrent delete logs an error; nothing
# worse
my @problems = $env->log_problems(allow_error => 1);
is_deeply(\@problems, [], 'no alerts or crashes')
    or diag explain \@problems;

done_testing;
