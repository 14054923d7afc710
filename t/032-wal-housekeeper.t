# The WAL housekeepers' output: status.json agrees with "icetap wal check"
# as segments are written, sealed, damaged and removed; wal-verify finds
# damage in a sealed segment that status, which reads each byte once, does
# not read again, and logs it once; a WAL directory that cannot be written
# is reported once and recovered from.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Copy qw(copy);
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request);


sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return scalar <$fh>;
}


sub wait_for {
    my ($what, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (time < $end) {
        my $r = $what->();
        return $r if $r;
        sleep 0.05;
    }
    return undef;
}


sub json_file {
    my $t = slurp($_[0]) // return undef;
    return eval { JSON::PP->new->decode($t) };
}


sub helper_pid { $_[0]->helper($_[1]) }


my $env = Test::Icetap::Env->new(config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

my $wal = $env->wal_dir;

# status.json written after $since (ms), matching $cond
sub status_after {
    my ($since, $cond, $file) = @_;
    return wait_for(sub {
        my $s = json_file("$wal/" . ($file // 'status.json')) or return undef;
        return undef unless $s->{updated_ms} > $since;
        return $cond->($s) ? $s : undef;
    }, 10);
}

sub now_ms { int(time * 1000) }

# "total: N segments, M records, D damaged" of icetap wal check
sub check_totals {
    my $c = $env->wal_check;
    $c =~ /^total: (\d+) segments, (\d+) records, (\d+) damaged$/m
        or die "no total in: $c";
    return ($1, $2, $3);
}

sub put {
    return http_request(port => $env->port, method => 'PUT',
                        uri => $_[0], body => $_[1] // 'x', sign => 1);
}


$env->start;

http_request(port => $env->s3_port, method => 'PUT', uri => '/walstat',
             sign => 1);
my @codes = map { put("/walstat/a$_")->{status} } 1 .. 20;
is(scalar(grep { $_ == 200 } @codes), 20, 'twenty mutations');

my $s = status_after(0, sub { $_[0]{records} == 20 });
ok($s, 'status counts 20 records') or diag explain json_file("$wal/status.json");
is($s->{sealed}, 0, 'in an open segment');
is($s->{oldest_unsealed}{segment}, (map { /([^\/]+)$/ } glob "$wal/*.wal")[0],
   'which is the oldest unsealed one');

# a reload seals the old worker's segment
$env->reload;

my @segs = map { /([^\/]+)$/ } glob "$wal/*.wal";
my ($sealed) = grep { $env->wal_check =~ /^\Q$_\E: .* sealed$/m } @segs;
ok($sealed, "the old worker's segment is sealed ($sealed)");

my $t = now_ms();
@codes = map { put("/walstat/b$_")->{status} } 1 .. 5;
is("@codes", '200 200 200 200 200', 'five more mutations after the reload');

my ($n, $recs, $damaged) = check_totals();
$s = status_after($t, sub { $_[0]{records} == $recs && $_[0]{segments} == $n });
ok($s, "status agrees with wal check: $n segments, $recs records")
    or diag explain json_file("$wal/status.json");
is($recs, 25, 'which counts every record once');
is($s->{sealed}, 1, 'one sealed');
is($s->{damaged_segments}, 0, 'none damaged');
is($s->{oldest_unsealed}{segment} ne $sealed, 1,
   'the oldest unsealed segment is not the sealed one');

my $v = status_after($t, sub { $_[0]{verified_segments} == 1 }, 'verify.json');
ok($v, 'wal-verify verified the sealed segment') or diag explain json_file("$wal/verify.json");
is($v->{records}, 20, 'its 20 records');
is_deeply($v->{damaged}, [], 'undamaged');


# damage the sealed segment in place: a record's payload changes

my @in_seg = sort { $a->{wal_offset} <=> $b->{wal_offset} }
             grep { $_->{wal_file} eq $sealed } $env->wal_records;
open my $fh, '+<', "$wal/$sealed" or die;
binmode $fh;
seek $fh, $in_seg[5]{wal_offset} + 30, 0;
print $fh "\xff\xfe";
close $fh;
like($env->wal_check, qr/^\Q$sealed\E: .* 19 records, corrupt, 1 bad frames skipped$/m,
     'wal check sees the damage');

$t = now_ms();
$v = status_after($t, sub { @{$_[0]{damaged}} }, 'verify.json');
ok($v, 'wal-verify finds it');
is_deeply($v && $v->{damaged}, [$sealed], 'names the segment');
is($v && $v->{bad_frames}, 1, 'one bad frame');
is($v && $v->{records}, 19, 'the other records are read');

# more passes: logged once
my $v2 = status_after($v->{updated_ms} + 1000, sub { 1 }, 'verify.json');
ok($v2 && $v2->{passes} >= $v->{passes} + 1, 'later passes');
my @logged = $env->error_log =~ /\[error\] .*icetap: WAL segment "\Q$sealed\E" is damaged: 1 bad frame/g;
is(scalar @logged, 1, 'the damage is logged once, as an error');

$s = json_file("$wal/status.json");
is($s->{damaged_segments}, 0, 'status does not read sealed segments again');

# a new status helper accounts afresh
my $pid = helper_pid($env, 'wal');
kill 'KILL', $pid;
($n, $recs, $damaged) = check_totals();
$s = status_after(now_ms(), sub { $_[0]{pid} != $pid });
ok($s, 'the respawned status helper writes');
is_deeply([@$s{qw(segments records damaged_segments bad_frames)}],
          [$n, $recs, 1, 1], 'and agrees with wal check, damage included');


# a torn copy and a removed segment

copy("$wal/$sealed", "$wal/0-torn.wal") or die;
truncate "$wal/0-torn.wal", $in_seg[-1]{wal_offset} + 20 or die;
unlink "$wal/$sealed";
($n, $recs, $damaged) = check_totals();
$s = status_after(now_ms(), sub { $_[0]{segments} == $n });
ok($s, "status follows additions and removals ($n segments)");
is_deeply([@$s{qw(records damaged_segments)}], [$recs, $damaged],
          "records $recs, damaged $damaged as wal check");
unlink "$wal/0-torn.wal";


# a WAL directory the helpers cannot write to

chmod 0555, $wal;
sleep 2.5;
chmod 0755, $wal;
$s = status_after(now_ms(), sub { 1 });
ok($s, 'status is written again once the directory is writable');
my @warn = $env->error_log =~ /\[warn\] .*icetap: open\(\) of "[^"]*status\.json[^"]*" failed/g;
is(scalar @warn, 1, 'the failure is logged once');
like($env->error_log, qr/\[notice\] .*icetap: "[^"]*\/status\.json" is written again/,
     'and the recovery');

$env->stop;
my @bad = $env->log_problems(allow_kill => 1, allow_error => 1);
is_deeply(\@bad, [], 'no alert or crit') or diag explain \@bad;
my @err = grep { /\[error\]/ && !/is damaged/ } split /\n/, $env->error_log;
is_deeply(\@err, [], 'no error but the damage') or diag explain \@err;


done_testing;
