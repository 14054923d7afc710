# The maintenance plugin (plugins/maintenance.lua) on tables fragmented
# by many small appends plus deletes (100 appends, 500 with ICETAP_SOAK),
# written through the core into the catalog: a v3 table with a sort
# order (auto = sort), a v2 table without (auto = bin-pack), a v2 table
# whose compaction is disabled, and a table of the aws-s3 metadata
# bucket.  After one pass: the rows are the same (DuckDB over the data
# files, icebird over the v2 table, the core's reader), one file per
# partition at the configured target, deleted rows physically gone, v3
# row lineage unchanged, the v3 files in sort order, snapshot history as
# configured, job status written per table and job type.  And the core
# rewrite rolls files at a small target.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX qw(ceil);
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $drv = "$build/unit/maint_driver";

plan skip_all => "$drv not built (run make)" unless -x $drv;
plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('@duckdb/node-api', 'icebird') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $appends = $ENV{ICETAP_SOAK} ? 500 : 100;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;
my $state = 'icetap-state';
my $dir = tempdir(CLEANUP => 1);
chmod 0777, $dir;

# a plugin probing the Lua API once, next to the maintenance plugin

open my $pf, '>', "$dir/probe.lua" or die;
print $pf <<'LUA';
local function find(bucket, name)
  for _, t in ipairs(icetap.tables(bucket)) do
    if t.name == name then return t end
  end
end
local names = {}
for _, b in ipairs(icetap.table_buckets()) do names[#names + 1] = b.name end
table.sort(names)
local frozen = find("analytics", "frozen")
local files = icetap.files(frozen)
local fields, parts, np = true, {}, 0
for _, f in ipairs(files) do
  local why
  if type(f.path) ~= "string" then why = "path"
  elseif math.type(f.size) ~= "integer" then why = "size"
  elseif math.type(f.records) ~= "integer" then why = "records"
  elseif math.type(f.deleted) ~= "integer" then why = "deleted"
  elseif type(f.partition) ~= "string" then why = "partition"
  elseif f.age ~= nil and type(f.age) ~= "number" then why = "age"
  elseif f.tier ~= nil or f.last_access ~= nil then why = "tier"
  end
  if why then fields = why end
  if not parts[f.partition] then parts[f.partition] = true; np = np + 1 end
end
local sc = icetap.storage_class(frozen)
local info = icetap.table_info(find("analytics", "events_v3"))
local conf = icetap.maintenance_config(frozen)
local f = assert(io.open(icetap.params.out .. ".tmp", "w"))
f:write(string.format(
  '{"buckets":"%s","nfiles":%d,"fields":"%s","partitions":%d,' ..
  '"storage_class":"%s","sort":"%s %s %s","format":%d,' ..
  '"compaction":"%s","target":%d,"unreferenced_days":%d,' ..
  '"all_tables":%d}',
  table.concat(names, ","), #files, tostring(fields), np,
  sc and sc.storageClass or "none", info.sort_order[1].column,
  info.sort_order[1].direction, info.sort_order[1].null_order,
  info.format_version, conf.icebergCompaction.status,
  conf.icebergCompaction.settings.targetFileSizeMB,
  conf.icebergUnreferencedFileRemoval.settings.unreferencedDays,
  #icetap.tables()))
f:close()
os.rename(icetap.params.out .. ".tmp", icetap.params.out)
LUA
close $pf;
chmod 0644, "$dir/probe.lua";

my $env = Test::Icetap::Env->new(workers => 1, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=$state
             access_key=$ak secret_key=$sk addressing=path;
icetap_plugin maintenance $root/plugins/maintenance.lua interval=3600
              clock_offset=2h;
icetap_plugin probe $dir/probe.lua out=$dir/probe.json;
HTTP
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
}
CONF

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

sub driver { run_json("'$drv'", @_) }

sub catalog {
    run_json('python3', "$FindBin::Bin/py/maint_catalog.py", $s3, $state,
             @_);
}

sub catalog_file {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return eval { decode_json(<$fh>) };
}

sub catalog_set {
    my ($key, $member, $value) = @_;
    my $v = encode_json($value);
    system('python3', "$FindBin::Bin/py/maint_catalog.py", $s3, $state,
           'set', $key, $member, $v) == 0 or die "catalog set $key";
}

my %tables = (
    events_v3 => ['analytics', 'sales', 'events_v3', 3, $appends, 1],
    events_v2 => ['analytics', 'sales', 'events_v2', 2, $appends, 0],
    frozen    => ['analytics', 'sales', 'frozen', 2, 10, 0],
    journal   => ['aws-s3', 'b_photos', 'journal', 3, 20, 0],
);

my (%before, %after);

for my $t (sort keys %tables) {
    my ($tb, $ns, $name, $v, $n, $sorted) = @{$tables{$t}};
    $before{$t} = driver('make', $s3, $state, $tb, $ns, $name, $v, $n, 10,
                         $sorted);
    ok($before{$t}, "$t: the core writes the fragmented table")
        or BAIL_OUT("no table");
    is($before{$t}{bad}, 0, "$t: rows read back through the core");
}

ok(scalar(grep { $_->{deleted} > 0 } @{$before{events_v3}{files}}),
   'events_v3 has deletion vectors');
ok(scalar(grep { $_->{deleted} > 0 } @{$before{events_v2}{files}}),
   'events_v2 has position deletes');

my $nfiles = scalar @{$before{events_v2}{files}};
ok($nfiles >= $appends, "events_v2 is fragmented ($nfiles files)");

# configuration, as the S3 Tables API stores it

sub mconf {
    my ($type, $status, %settings) = @_;
    return { $type => { status => $status,
                        settings => { $type => {%settings} } } };
}

catalog_set('icetap/catalog/analytics/sales/events_v3.json', 'maintenance',
    { %{mconf('icebergCompaction', 'enabled', targetFileSizeMB => 64,
              strategy => 'auto')},
      %{mconf('icebergSnapshotManagement', 'enabled',
              minSnapshotsToKeep => 2, maxSnapshotAgeHours => 1)} });
catalog_set('icetap/catalog/analytics/sales/frozen.json', 'maintenance',
    { %{mconf('icebergCompaction', 'disabled')},
      %{mconf('icebergSnapshotManagement', 'enabled',
              minSnapshotsToKeep => 3, maxSnapshotAgeHours => 1)} });

catalog_set('icetap/catalog/analytics.json', 'storage_class',
            { storageClass => 'INTELLIGENT_TIERING' });

# icebird reads the v2 table before

ok(system('python3', "$FindBin::Bin/py/maint_catalog.py", $s3, $state,
          'public') == 0, 'the state bucket is readable anonymously');

sub icebird {
    my ($md) = @_;
    my ($url, $file) = $md->{metadata_location} =~ m{^(.*)/metadata/([^/]+)$};
    return run_json('node', "$FindBin::Bin/js/maint_icebird.mjs", $s3,
                    "'$url'", "'$file'");
}

my $ib_before = icebird($before{events_v2});
ok($ib_before && @{$ib_before->{rows}}, 'icebird reads events_v2 before');

# one pass of the plugin

$env->start;

my $deadline = time + ($ENV{ICETAP_SOAK} ? 900 : 300);
until ($env->error_log =~ /maintenance pass 1 over (\d+) tables done/
       || time > $deadline)
{
    sleep 0.5;
}

like($env->error_log, qr/maintenance pass 1 over 4 tables done/,
     'one maintenance pass over the four tables');

# what the probe saw through the Lua API

my $probe;
for (1 .. 100) {
    last if $probe = -f "$dir/probe.json" && catalog_file("$dir/probe.json");
    sleep 0.2;
}
ok($probe, 'the probe plugin wrote its findings') or diag $env->error_log;
is($probe->{buckets}, 'analytics,aws-s3', 'icetap.table_buckets()');
is($probe->{all_tables}, 4, 'icetap.tables() lists all four tables');
is($probe->{nfiles}, scalar @{$before{frozen}{files}},
   'icetap.files() lists the live data files');
is($probe->{fields}, 'true', 'with size, records, deleted, partition, age '
   . '(nil once the adding snapshot expired; last access and tier unknown: '
   . 'nil)');
is($probe->{partitions}, 3, 'three partitions');
is($probe->{storage_class}, 'INTELLIGENT_TIERING',
   "icetap.storage_class() falls back to the bucket's");
is($probe->{sort}, 'score desc nulls-last', 'icetap.table_info() sort order');
is($probe->{format}, 3, 'and format version');
is($probe->{compaction}, 'disabled', 'icetap.maintenance_config(): the '
   . "table's status");
is($probe->{target}, 512, 'the S3 Tables default target');
is($probe->{unreferenced_days}, 3, 'the bucket-level default');

for my $t (sort keys %tables) {
    my ($tb, $ns, $name) = @{$tables{$t}};
    my $d = "$dir/$t";
    mkdir $d;
    $after{$t} = driver('files', $s3, $state, $tb, $ns, $name, $d);
    ok($after{$t}, "$t: read after the pass") or next;

    is_deeply([sort { $a->[0] <=> $b->[0] } @{$after{$t}{live}}],
              [sort { $a->[0] <=> $b->[0] } @{$before{$t}{live}}],
              "$t: the same live rows, each with the same _row_id")
        if $after{$t}{format} == 3;
    is_deeply([sort { $a <=> $b } map { $_->[0] } @{$after{$t}{live}}],
              [sort { $a <=> $b } map { $_->[0] } @{$before{$t}{live}}],
              "$t: the same live ids through the core");
    is($after{$t}{bad}, 0, "$t: every column as written");
}

for my $t (qw(events_v3 events_v2 journal)) {
    my $af = $after{$t} or next;
    is(scalar @{$af->{files}}, 3,
       "$t: one file per partition (the target holds each)");
    is((grep { $_->{deleted} } @{$af->{files}}), 0,
       "$t: no deletes left");

    my $dd = run_json('node', "$FindBin::Bin/js/maint_duckdb.js",
                      "'$dir/$t'", $t eq 'events_v3' ? 'score' : '');
    ok($dd, "$t: DuckDB reads the data files") or next;
    is_deeply($dd->{ids},
              [sort { $a <=> $b } map { $_->[0] } @{$before{$t}{live}}],
              "$t: DuckDB over the data files returns exactly the live rows "
              . '(deleted rows are physically gone)');
    is($dd->{bad}, 0, "$t: DuckDB sees every column as written");
    is($dd->{files}, 3, "$t: DuckDB read the three files");
    ok($dd->{sorted}, "$t: each file is in the sort order")
        if $t eq 'events_v3';
}

is(scalar @{$after{frozen}{files}}, scalar @{$before{frozen}{files}},
   'frozen: compaction disabled, files untouched');

# icebird, after

my $ib_after = icebird($after{events_v2});
ok($ib_after, 'icebird reads events_v2 after');
is_deeply($ib_after->{rows}, $ib_before->{rows},
          'events_v2: icebird returns the same rows before and after');

# snapshot history

is($after{events_v3}{snapshots}, 2,
   'events_v3: minSnapshotsToKeep 2 with every snapshot older than '
   . 'maxSnapshotAgeHours: two kept');
is($after{frozen}{snapshots}, 3, 'frozen: three kept');
is($after{events_v2}{snapshots}, $before{events_v2}{snapshots} + 1,
   'events_v2: defaults (120 hours) expire nothing; the compaction added '
   . 'one');

# job status

my %want = (
    events_v3 => [qw(Successful Successful Successful)],
    events_v2 => [qw(Successful Successful Successful)],
    frozen    => [qw(Disabled Successful Successful)],
    journal   => [qw(Successful Successful Successful)],
);

for my $t (sort keys %want) {
    my $js = catalog('get', "icetap/jobs/$after{$t}{table_id}.json");
    my @types = qw(icebergCompaction icebergSnapshotManagement
                   icebergUnreferencedFileRemoval);
    is_deeply([map { $js->{$_}{status} // 'missing' } @types], $want{$t},
              "$t: job status per type");
    like($js->{icebergSnapshotManagement}{lastRunTimestamp} // '',
         qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
         "$t: lastRunTimestamp is an ISO 8601 time");
}

$env->stop;

my @problems = $env->log_problems(allow_error => 0);
is_deeply(\@problems, [], 'no errors in the error log')
    or diag explain \@problems;

# the core rewrite rolls output files at the target size

my $r = driver('make', $s3, $state, 'analytics', 'sales', 'rolled', 2, 20,
               200, 0);
ok($r, 'a table for the roll check');
my $target = 40000;
my $rw = driver('rewrite', $s3, $state, 'analytics', 'sales', 'rolled',
                'binpack', $target);
ok($rw, 'the core rewrites it with a small target');

my %parts;
push @{$parts{($_->{path} =~ m{/data/([^/]+)/})[0] // 'x'}}, $_->{size}
    for @{$rw->{files}};
my $ok = 1;
for my $p (values %parts) {
    my @s = sort { $b <=> $a } @$p;
    my $total = 0;
    $total += $_ for @s;
    $ok = 0 if @s > ceil($total / $target) + 1;
    $ok = 0 if grep { $_ > 2 * $target } @s;
}
ok($ok && keys %parts, 'file count and sizes follow the target '
   . join(' ', map { scalar @$_ } values %parts));
is($rw->{bad}, 0, 'the rolled table reads back');

# the external sort with more runs than one merge takes (64): a memory
# budget of one row group spills a run per input row group

my $m = driver('make', $s3, $state, 'analytics', 'sales', 'many_runs', 3,
               90, 10, 1);
ok($m, 'a v3 table of 90 appends');
{
    local $ENV{MAINT_MEMORY} = 1000;
    local $ENV{MAINT_ROW_GROUP} = 2000;
    my $sr = driver('rewrite', $s3, $state, 'analytics', 'sales',
                    'many_runs', 'sort', 64 << 20);
    ok($sr, 'sorted with a tiny memory budget') or last;
    cmp_ok($sr->{rewrite}{runs}, '>', 64, "$sr->{rewrite}{runs} runs, merged "
           . 'in two levels');
    is_deeply([sort { $a->[0] <=> $b->[0] } @{$sr->{live}}],
              [sort { $a->[0] <=> $b->[0] } @{$m->{live}}],
              'the same rows with the same _row_id');
    is($sr->{bad}, 0, 'every column as written');

    my $d = "$dir/many_runs";
    mkdir $d;
    driver('files', $s3, $state, 'analytics', 'sales', 'many_runs', $d);
    my $dd = run_json('node', "$FindBin::Bin/js/maint_duckdb.js", "'$d'",
                      'score');
    ok($dd && $dd->{sorted}, 'DuckDB finds each file in the sort order');
    is_deeply($dd->{ids},
              [sort { $a <=> $b } map { $_->[0] } @{$m->{live}}],
              'DuckDB reads exactly the live rows');
}

done_testing;
