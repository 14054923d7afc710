# The icetap CLI over real segments: dump prints every record as a JSON
# line; check reports torn tails and CRC damage without failing on them.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Copy qw(copy);
use File::Path qw(make_path);
use JSON::PP;
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request);

my $cli = Test::Icetap::Env::cli_path();

my $env = Test::Icetap::Env->new(config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

$env->start;

http_request(port => $env->port, method => 'PUT', uri => '/clibkt', sign => 1);

for my $i (1 .. 20) {
    my $r = http_request(port => $env->port, method => 'PUT',
                         uri => "/clibkt/obj$i", body => "body $i", sign => 1,
                         headers => [['x-amz-meta-n', $i]]);
    die "put: $r->{status}" unless $r->{status} == 200;
}

$env->stop;

my $wal = $env->wal_dir;
my @lines = split /\n/, `'$cli' wal dump '$wal'`;
is($?, 0, 'dump exits 0');
is(scalar @lines, 20, 'one JSON line per record');

my @recs = map { decode_json($_) } @lines;
is_deeply([sort { $a <=> $b } map { $_->{user_metadata}{n} } @recs],
          [1 .. 20], 'every record, with its fields');
ok((!grep { !$_->{wal_file} || !$_->{wal_offset} } @recs),
   'each names its segment and offset');

my $check = `'$cli' wal check '$wal'`;
like($check, qr/20 records, sealed/, 'a stopped worker sealed its segment')
    or diag $check;
like($check, qr/^total: 1 segments, 20 records, 0 damaged$/m, 'summary');

# damage copies of the segment

my ($seg) = glob "$wal/*.wal";
my $size = -s $seg;
my $bad = $env->servroot . '/damaged';
make_path($bad);

copy($seg, "$bad/1-torn.wal") or die;
truncate "$bad/1-torn.wal", $recs[-1]{wal_offset} + 20 or die;

copy($seg, "$bad/2-crc.wal") or die;
open my $fh, '+<', "$bad/2-crc.wal" or die;
binmode $fh;
seek $fh, $recs[5]{wal_offset} + 30, 0;
print $fh "\xff\xfe";
close $fh;

copy($seg, "$bad/3-header.wal") or die;
open $fh, '+<', "$bad/3-header.wal" or die;
print $fh "NOTAWAL!";
close $fh;

$check = `'$cli' wal check '$bad'`;
is($?, 0, 'check does not fail on damage');
like($check, qr/^1-torn\.wal: .* 19 records, torn, torn tail at offset \d+$/m,
     'torn tail: the records before it, and where it is')
    or diag $check;
like($check, qr/^2-crc\.wal: .* 19 records, corrupt, 1 bad frames skipped$/m,
     'CRC damage: the frame skipped, the rest read')
    or diag $check;
like($check, qr/^3-header\.wal: unreadable: not an icetap WAL segment$/m,
     'a file that is not a segment is named');
like($check, qr/^total: 3 segments, 38 records, 3 damaged$/m, 'summary');

@lines = split /\n/, `'$cli' wal dump '$bad' 2>/dev/null`;
is(scalar @lines, 38, 'dump prints every readable record of damaged segments');

system("'$cli' wal dump /nonexistent/icetap/wal 2>/dev/null");
is($? >> 8, 1, 'a missing directory is an error');

system("'$cli' wal frobnicate '$wal' 2>/dev/null");
is($? >> 8, 2, 'a usage error exits 2');

like(`'$cli' --help`, qr/icetap wal dump DIR/, '--help');

done_testing();
