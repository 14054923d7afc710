# The inventory helper killed (SIGKILL) at random moments while a
# workload runs through the gateway: during its backfill, its steps, its
# rewrites; its index files deleted between runs half of the time.  The
# supervisor restarts it; each run resumes from the cursor committed with
# the rows, loads its index when it describes the current snapshot and
# rebuilds it from the table otherwise.  Each inventory equals the store
# row for row and column for column.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX ();
use Time::HiRes ();
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";

plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('@duckdb/node-api', 'avsc', 'roaring') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $ops = $ENV{ICETAP_SOAK} ? 10000 : 800;
my $seed = 5057;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
icetap_inventory interval=1s max_files=6 backfill_concurrency=2;
HTTP
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    client_max_body_size 0;
    icetap_tap on;
}
CONF

$env->start;

my $sr = $env->servroot;
my $wal = $env->wal_dir;
my @buckets = map { sprintf "%s-%x", $_, $seed } qw(invv invu invs);

sub helper {
    my %super = map { $_ => 1 } $env->helper_pids;
    opendir my $dh, '/proc' or return undef;
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/cmdline" or next;
        my $cmd = do { local $/; <$fh> } // '';
        next unless $cmd =~ /^nginx: icetap inventory\0*$/;
        open $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh> // '';
        return $p if $stat =~ /\)\s+\S+\s+(\d+)/ && $super{$1};
    }
    return undef;
}

sub status {
    my $f = "$wal/inventory.json";
    return undef unless -f $f;
    return eval { decode_json(do { local (@ARGV, $/) = $f; <> }) };
}

my $deadline0 = time + 15;
Time::HiRes::sleep(0.1) until helper() || time > $deadline0;
ok(helper(), 'the inventory helper runs');

$env->run_py('t/py/inventory_workload.py', 'setup', '--seed', $seed,
             '--preload', 400, '--enable');

my $pid = fork // die "fork: $!";
if ($pid == 0) {
    my $rc = 0;
    for my $r (1 .. 4) {
        $env->run_cmd(['python3', 't/py/inventory_workload.py', 'run',
                       '--seed', $seed, '--round', $r,
                       '--ops', int($ops / 4)], allow_fail => 1);
        $rc ||= $env->{py}{rc};
    }
    POSIX::_exit($rc);
}

srand(5057);
my ($kills, $unlinked) = (0, 0);

sub kill_helper {
    my ($unlink) = @_;
    my $h = helper() or return;
    kill 'KILL', $h or return;
    $kills++;
    # gone before its index files go
    Time::HiRes::sleep(0.05) while kill 0, $h;
    if ($unlink) {
        my @idx = glob "$wal/inventory-*.idx";
        $unlinked += unlink @idx;
    }
}

while (waitpid($pid, POSIX::WNOHANG()) == 0) {
    Time::HiRes::sleep(0.3 + rand(1.5));
    kill_helper(rand() < 0.5);
}
is($? >> 8, 0, 'the workload ran');

# once more after the workload, index files deleted: the last run
# rebuilds them from the tables

my $deadline1 = time + 60;
Time::HiRes::sleep(0.2)
    until (helper() && (my @i = glob "$wal/inventory-*.idx") == 3)
          || time > $deadline1;
Time::HiRes::sleep(1);
kill_helper(1);

note "$kills kills, $unlinked index files deleted";
cmp_ok($kills, '>=', 5, "the helper was killed $kills times");
cmp_ok($unlinked, '>=', 1, 'index files were deleted');

my $ended_ms = int(Time::HiRes::time() * 1000);
my $ok;
my $deadline = time + 180;
while (time < $deadline) {
    my $s = status();
    if ($s && ($s->{updated_ms} // 0) > $ended_ms + 2500
        && @{$s->{tables}} == 3
        && !grep { $_->{status} ne 'ACTIVE' || $_->{records_behind}
                   || $_->{error} ne '' } @{$s->{tables}})
    {
        $ok = $s;
        last;
    }
    sleep 1;
}
ok($ok, 'ACTIVE, no backlog') or diag explain status();
for my $t (@{$ok ? $ok->{tables} : []}) {
    cmp_ok($t->{index_rebuilds}, '>=', 1,
           "$t->{bucket}: the index was rebuilt from the table");
}

$env->run_py('t/py/inventory_workload.py', 'truth', '--seed', $seed,
             '--out', "$sr/truth.jsonl");

for my $b (@buckets) {
    (my $ns = "b_$b") =~ tr/./_/;
    my $dir = tempdir(CLEANUP => 1);
    my $f = decode_json($env->run_py('t/py/inventory_fetch.py',
                                     'icetap-state', $ns, 'inventory',
                                     $dir));
    my $out = `node '$root/t/js/inventory_rows.js' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
    is($?, 0, "$b: avsc, roaring and DuckDB read the table") or diag $out;
    open my $fh, '>', "$sr/rows-$b.json" or die;
    print $fh $out;
    close $fh;
    my $cmp = `python3 '$root/t/py/compare_inventory.py' '$sr/truth.jsonl' '$sr/rows-$b.json' '$b' 2>&1`;
    is($?, 0, "$b: the inventory equals the bucket") or diag $cmp;
    note "$b: $cmp";
}

$env->stop;
is_deeply([grep { !/exited on signal 9/ }
           $env->log_problems(allow_kill => 1)], [], 'no errors in the log');

done_testing;
