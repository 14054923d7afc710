# Drift: writes that bypass the gateway (boto3 straight to the store:
# puts, overwrites, copies, multipart uploads, delete markers, permanent
# deletes of versions and markers) are invisible to the tap.  The
# scheduled reconciliation of the inventory helper lists each bucket,
# reports the drift in inventory.json and the log, and emits WAL records
# without requester that the journal turns into rows (requester NULL,
# CREATE or DELETE as the change was) and the inventory applies: the
# inventory then equals the ground truth of the store, row for row and
# column for column, and a later reconciliation finds no drift.
# Disabling an inventory stops its updates; enabling it again while the
# old table exists fails with InventoryTableAlreadyExists.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes ();
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";

plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('@duckdb/node-api', 'avsc', 'roaring') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $seed = 5058;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
icetap_inventory interval=1s reconcile=4s;
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
my @buckets = map { sprintf "%s-%x", $_, $seed } qw(invv invu invs);

sub status {
    my $f = $env->wal_dir . '/inventory.json';
    return undef unless -f $f;
    return eval { decode_json(do { local (@ARGV, $/) = $f; <> }) };
}

sub wait_for {
    my ($what, $cond) = @_;
    my $deadline = time + 120;
    while (time < $deadline) {
        my $s = status();
        return $s if $s && $cond->($s);
        sleep 1;
    }
    diag explain status();
    return undef;
}

sub tables { my ($s) = @_; return @{$s->{tables} // []} }

$env->run_py('t/py/inventory_workload.py', 'setup', '--seed', $seed,
             '--preload', 10, '--enable');
$env->run_py('t/py/inventory_workload.py', 'run', '--seed', $seed,
             '--round', 1, '--ops', 150);

# caught up, and reconciled once without drift

my $s = wait_for('no drift', sub {
    my @t = tables($_[0]);
    @t == 3 && !grep { $_->{status} ne 'ACTIVE' || $_->{records_behind}
                       || $_->{reconciliations} < 1 } @t;
});
ok($s, 'the inventories are ACTIVE and reconciled');
is_deeply([map { $_->{drift_added} + $_->{drift_changed}
                 + $_->{drift_removed} } tables($s)], [0, 0, 0],
          'no drift while everything goes through the gateway');

# behind the gateway's back

my $o = decode_json($env->run_py('t/py/inventory_workload.py', 'run',
                                 '--seed', $seed, '--round', 2,
                                 '--ops', 200, '--direct', '--no-tagging',
                                 '--prefix', 'direct/'));
note "direct: $o->{ops} operations, $o->{failed} refused";
my $removed = decode_json($env->run_py('t/py/inventory_workload.py',
                                       'remove', '--seed', $seed,
                                       '--ops', 4))->{removed};
is(scalar @$removed, 12, 'versions made through the gateway removed '
                         . 'straight in the store');
my $direct_ms = int(Time::HiRes::time() * 1000);

$s = wait_for('drift applied', sub {
    my @t = tables($_[0]);
    @t == 3 && !grep { $_->{records_behind}
                       || $_->{last_reconcile_ms} < $direct_ms + 1000
                       || $_->{drift_added} == 0 } @t;
});
ok($s, 'reconciled after the direct writes');

for my $t (tables($s)) {
    note "$t->{bucket}: drift added $t->{drift_added} changed "
         . "$t->{drift_changed} removed $t->{drift_removed} skipped "
         . "$t->{drift_skipped}";
    cmp_ok($t->{drift_added}, '>', 0, "$t->{bucket}: drift reported");
    cmp_ok($t->{drift_removed}, '>=', 4, "$t->{bucket}: removals too");
}

# a later reconciliation, after the drift records were applied, finds
# nothing new

my %before = map { $_->{bucket} => $_ } tables($s);
my $again_ms = int(Time::HiRes::time() * 1000);
$s = wait_for('quiet', sub {
    my @t = tables($_[0]);
    @t == 3 && !grep { $_->{records_behind}
                       || $_->{last_reconcile_ms} < $again_ms + 500 } @t;
});
ok($s, 'reconciled again');
for my $t (tables($s)) {
    my $b = $before{$t->{bucket}};
    is($t->{drift_added} + $t->{drift_changed} + $t->{drift_removed},
       $b->{drift_added} + $b->{drift_changed} + $b->{drift_removed},
       "$t->{bucket}: no new drift");
}

my $log = do { local (@ARGV, $/) = "$sr/logs/error.log"; <> };
like($log, qr/drifted behind the gateway: \d+ added/, 'the log tells');

$env->run_py('t/py/inventory_workload.py', 'truth', '--seed', $seed,
             '--out', "$sr/truth.jsonl");
my @truth = map { decode_json($_) }
            do { open my $fh, '<', "$sr/truth.jsonl" or die; <$fh> };

for my $b (@buckets) {
    (my $ns = "b_$b") =~ tr/./_/;
    my $dir = tempdir(CLEANUP => 1);
    my $f = decode_json($env->run_py('t/py/inventory_fetch.py',
                                     'icetap-state', $ns, 'inventory',
                                     $dir));
    my $out = `node '$root/t/js/inventory_rows.js' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
    is($?, 0, "$b: the inventory is read") or diag $out;
    open my $fh, '>', "$sr/rows-$b.json" or die;
    print $fh $out;
    close $fh;
    my $cmp = `python3 '$root/t/py/compare_inventory.py' '$sr/truth.jsonl' '$sr/rows-$b.json' '$b' 2>&1`;
    is($?, 0, "$b: the inventory equals the bucket") or diag $cmp;

    # the journal has rows without requester for what was done directly

    $dir = tempdir(CLEANUP => 1);
    $f = decode_json($env->run_py('t/py/inventory_fetch.py', 'icetap-state',
                                  $ns, 'journal', $dir));
    $out = `node '$root/t/js/journal_rows.js' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
    is($?, 0, "$b: the journal is read") or diag $out;
    my $rows = eval { decode_json($out)->{rows} } // [];
    my @drift = grep { !defined $_->{requester} } @$rows;
    my %gone = map { ($_->[1] . "\0" . ($_->[2] // '')) => 1 }
               grep { $_->[0] eq $b } @$removed;
    my @odd = grep { $_->{key} !~ m{^direct/}
                     && !($_->{record_type} eq 'DELETE'
                          && $gone{$_->{key} . "\0"
                                   . ($_->{version_id} // '')}) } @drift;
    ok(!@odd, "$b: rows without requester are of direct writes only")
        or diag explain \@odd;
    my %created = map { ($_->{key} . "\0" . ($_->{version_id} // '')) => 1 }
                  grep { $_->{record_type} eq 'CREATE' } @drift;
    my @missing = grep { !$created{$_->{key} . "\0"
                                   . ($_->{version_id} // '')} }
                  grep { $_->{bucket} eq $b && $_->{key} =~ m{^direct/}
                         && !$_->{is_delete_marker} } @truth;
    is(scalar @missing, 0,
       "$b: each direct version has a CREATE row without requester")
        or diag explain [@missing[0 .. ($#missing < 4 ? $#missing : 4)]];
    my %deleted = map { ($_->{key} . "\0" . ($_->{version_id} // '')) => 1 }
                  grep { $_->{record_type} eq 'DELETE'
                         && !defined $_->{is_delete_marker} } @drift;
    is(scalar(grep { !$deleted{$_} } keys %gone), 0,
       "$b: a permanent DELETE row for each version removed directly");
    ok(!grep({ defined $_->{source_ip_address}
               || defined $_->{request_id} } @drift),
       "$b: no source address, no request id");
}

# disabling stops the updates and keeps the table; enabling again needs
# the old table deleted first, as on AWS: InventoryTableAlreadyExists

my $b0 = $buckets[1];
$env->run_py('t/py/inventory_status.py', '--set', 'DISABLED', $b0);
my $st = decode_json($env->run_py('t/py/inventory_status.py', $b0));
is($st->{$b0}{ConfigurationState}, 'DISABLED', "$b0: DISABLED");
my $deadline = time + 30;
sleep 1 while time < $deadline
              && grep { $_->{bucket} eq $b0 } tables(status());
ok(!grep({ $_->{bucket} eq $b0 } tables(status())),
   "$b0: no longer updated");
ok(!-e $env->wal_dir . "/inventory-$b0.cursor",
   "$b0: its WAL position no longer holds segments");

$env->run_py('t/py/inventory_status.py', '--set', 'ENABLED', $b0);
$deadline = time + 30;
while (time < $deadline) {
    $st = decode_json($env->run_py('t/py/inventory_status.py', $b0));
    last if ($st->{$b0}{TableStatus} // '') eq 'FAILED';
    sleep 1;
}
is($st->{$b0}{TableStatus}, 'FAILED', "$b0: enabled again: FAILED");
is($st->{$b0}{Error}{ErrorCode}, 'InventoryTableAlreadyExists',
   "$b0: InventoryTableAlreadyExists") or diag explain $st;

$env->stop;

$log = do { local (@ARGV, $/) = "$sr/logs/error.log"; <> };
unlike($log, qr/\[(alert|crit|emerg)\]|exited on signal/, 'no crash');

done_testing;
