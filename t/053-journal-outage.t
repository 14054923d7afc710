# The store stops answering in the middle of the load (SIGSTOP of the S3
# server: 10 s here, 30 s under ICETAP_SOAK): mutations wait or fail, the
# journal helper's commits fail and are retried, and once the store is
# back everything accepted is journaled exactly once.

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
for my $m ('@duckdb/node-api', 'avsc') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $ops = $ENV{ICETAP_SOAK} ? 3000 : 600;
my $pause = $ENV{ICETAP_SOAK} ? 30 : 10;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
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
my $moto = $env->s3->pid;
ok($moto, 'the store runs as a process of this test');

sub status { $env->report('journal.json') }

my $pid = fork // die "fork: $!";
if ($pid == 0) {
    $env->run_cmd(['python3', 't/py/journal_workload.py', '--ops', $ops,
                   '--seed', 5353, '--out', "$sr/truth.jsonl"],
                  allow_fail => 1);
    POSIX::_exit($env->{py}{rc});
}

# let the configurations be created and some load pass, then stop the store

my $t0 = time;
Time::HiRes::sleep(0.2) until -s "$sr/truth.jsonl" || time > $t0 + 60;

ok(waitpid($pid, POSIX::WNOHANG()) == 0, 'the load still runs when the store stops');
kill 'STOP', $moto;
note "store stopped for $pause s";
sleep $pause;
kill 'CONT', $moto;
note 'store back';

waitpid($pid, 0);
is($? >> 8, 0, 'the workload ran') or diag `cat $sr/cmd.err`;
my $w = decode_json(do { local (@ARGV, $/) = "$sr/cmd.out"; <> });
note $w->{summary};

my $ended_ms = int(Time::HiRes::time() * 1000);
my ($st, $deadline) = (undef, time + 120);
while (time < $deadline) {
    $st = status();
    last if $st && @{$st->{tables}} == 2
            && ($st->{updated_ms} // 0) > $ended_ms + 2500
            && !grep { $_->{records_behind} } @{$st->{tables}};
    sleep 1;
}
is_deeply([map { $_->{records_behind} } @{$st->{tables} // []}], [0, 0],
          'caught up: no records behind') or diag explain $st;
is(scalar(grep { $_->{lookups_ahead} > 0
                 && $_->{lookups_ahead} <= $_->{lookups} }
          @{$st->{tables} // []}), 2,
   'lookups ran ahead of the batches, on the lookup threads')
    or diag explain $st;

for my $b (@{$w->{configured}}) {
    (my $ns = "b_$b") =~ tr/./_/;
    my $dir = tempdir(CLEANUP => 1);
    my $f = decode_json($env->run_py('t/py/journal_fetch.py', 'icetap-state',
                                     $ns, $dir));
    my $out = `node '$root/t/js/journal_rows.js' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
    is($?, 0, "$b: avsc and DuckDB read the table") or diag $out;
    open my $fh, '>', "$sr/rows-$b.json" or die;
    print $fh $out;
    close $fh;

    my $cmp = $env->run_cmd(['python3', 't/py/compare_journal.py',
                             "$sr/truth.jsonl", "$sr/rows-$b.json", $b],
                            allow_fail => 1);
    # the tags of a completed multipart upload come from its creation
    # (the tap's upload cache), not from a lookup that could see a later
    # tag change while the helper lagged
    is($env->{py}{rc}, 0, "$b: every row equals the ground truth")
        or diag $cmp;
    note $cmp;
}

$env->stop;

my @bad = grep { !/upstream timed out|store|journal/i }
          $env->error_log =~ /^.*\[(?:alert|crit|emerg)\].*$/mg;
is(scalar @bad, 0, 'no alerts') or diag join "\n", @bad;

done_testing();
