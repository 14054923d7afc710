# Cross-checks icetap's Avro manifests and manifest lists with avsc (an
# Avro implementation we did not write), in both directions, for format
# v2 and v3 and the null and deflate codecs:
#  - avsc reads what we write: header schema with every field-id,
#    element-id, key-id and value-id intact, header keys, and values equal
#    to what was written (longs beyond 2^53 compared as BigInt);
#  - we read what avsc writes and return the values it wrote.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $lib = "$build/libicetap.a";

plan skip_all => "$lib not built (run make)" unless -f $lib;
plan skip_all => 'node not installed' if system('node --version >/dev/null 2>&1');
plan skip_all => 'avsc not installed (make deps)'
    unless -d "$root/t/node_modules/avsc";

my $tmp = tempdir(CLEANUP => 1);
my $driver = "$tmp/avro_driver";
my $js = "$root/t/js/avro_check.js";

# build the driver against the library, with its sanitizers if it has any
my $san = '';
my $syms = `nm -A '$lib' 2>/dev/null`;
$san .= ',address' if $syms =~ /__asan_/;
$san .= ',undefined' if $syms =~ /__ubsan_/;
$san = $san ? '-fsanitize=' . substr($san, 1) : '';
my $pkgs = 'libcurl libcrypto jansson lua5.4 libzstd zlib expat snappy';
my $cflags = `pkg-config --cflags $pkgs`;
my $libs = `pkg-config --libs $pkgs`;
chomp($cflags, $libs);
my $cc = "cc -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror "
    . "-Wno-unused-parameter $san -I'$root/include' $cflags "
    . "-o '$driver' '$root/tools/test/avro_driver.c' '$lib' $libs "
    . "-lpthread -lm 2>&1";
my $out = `$cc`;
is($?, 0, 'test driver builds') or diag $out;

sub run {
    my ($cmd) = @_;
    my $o = `$cmd 2>&1`;
    return ($? >> 8, $o);
}

my $json = JSON::PP->new->canonical;

for my $v (2, 3) {
    for my $codec ('null', 'deflate') {
        my $tag = "v$v $codec";

        # ours -> avsc
        for my $kind ('data', 'deletes') {
            my $f = "$tmp/m-$v-$codec-$kind.avro";
            my ($rc, $exp) = run("'$driver' write-manifest $v $codec $kind '$f'");
            is($rc, 0, "$tag: our $kind manifest written") or diag $exp;
            open my $fh, '>', "$f.json" or die $!;
            print $fh $exp;
            close $fh;
            ($rc, my $o) = run("node '$js' check-manifest '$f' '$f.json' $v");
            is($rc, 0, "$tag: avsc reads our $kind manifest, ids and values")
                or diag $o;
            like($o, qr/"codec":"$codec"/, "$tag: $kind manifest codec");
        }

        my $l = "$tmp/l-$v-$codec.avro";
        my ($rc, $exp) = run("'$driver' write-list $v $codec '$l'");
        is($rc, 0, "$tag: our manifest list written") or diag $exp;
        open my $fh, '>', "$l.json" or die $!;
        print $fh $exp;
        close $fh;
        ($rc, my $o) = run("node '$js' check-list '$l' '$l.json' $v");
        is($rc, 0, "$tag: avsc reads our manifest list, ids and values")
            or diag $o;

        # avsc -> ours
        my $am = "$tmp/avsc-m-$v-$codec.avro";
        ($rc, $exp) = run("node '$js' write-manifest $v $codec '$am'");
        is($rc, 0, "$tag: avsc wrote a manifest") or diag $exp;
        ($rc, $o) = run("'$driver' read-manifest '$am'");
        is($rc, 0, "$tag: we read avsc's manifest") or diag $o;
        is_deeply(eval { $json->decode($o) }, eval { $json->decode($exp) },
                  "$tag: manifest values as avsc wrote them");

        my $al = "$tmp/avsc-l-$v-$codec.avro";
        ($rc, $exp) = run("node '$js' write-list $v $codec '$al'");
        is($rc, 0, "$tag: avsc wrote a manifest list") or diag $exp;
        ($rc, $o) = run("'$driver' read-list '$al'");
        is($rc, 0, "$tag: we read avsc's manifest list") or diag $o;
        is_deeply(eval { $json->decode($o) }, eval { $json->decode($exp) },
                  "$tag: manifest list values as avsc wrote them");
    }
}

# the checker itself must notice a wrong value
{
    my $f = "$tmp/m-3-null-data.avro";
    open my $fh, '<', "$f.json" or die $!;
    my $exp = do { local $/; <$fh> };
    close $fh;
    $exp =~ s/"958"/"959"/ or die 'no file size in expected values';
    open $fh, '>', "$tmp/bad.json" or die $!;
    print $fh $exp;
    close $fh;
    my ($rc, $o) = run("node '$js' check-manifest '$f' '$tmp/bad.json' 3");
    isnt($rc, 0, 'a wrong expected value is reported');
    like($o, qr/differ/, 'with the difference');
}

done_testing();
