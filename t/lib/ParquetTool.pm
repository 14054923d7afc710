# Builds tools/parquet/pq_tool against the core library of the build in
# use (ICETAP_BUILD, default build) for the Parquet suites.
package ParquetTool;

use strict;
use warnings;
use File::Spec;

sub build {
    my ($root, $dir) = @_;

    # sanitizer reports fail the tool and so the test
    $ENV{UBSAN_OPTIONS} //= 'halt_on_error=1:print_stacktrace=1';
    my $build = $ENV{ICETAP_BUILD} // 'build';
    $build = "$root/$build" unless $build =~ m{^/};
    my $lib = "$build/libicetap.a";
    return (undef, "no $lib (run make)") unless -f $lib;

    my $libs = `pkg-config --libs jansson libzstd zlib snappy 2>/dev/null`;
    chomp $libs;
    my $out = File::Spec->catfile($dir, 'pq_tool');
    my $cmd = "cc -std=gnu11 -g -O1 -D_GNU_SOURCE -I'$root/include' "
        . "-o '$out' '$root/tools/parquet/pq_tool.c' '$lib' $libs -lm";

    # a sanitizer build needs the same runtime at link time
    for my $san ('', '-fsanitize=address,undefined', '-fsanitize=address') {
        return ($out, undef) if system("$cmd $san 2>/dev/null") == 0;
    }
    return (undef, "cannot build pq_tool: " . `$cmd 2>&1`);
}

1;
