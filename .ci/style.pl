#!/usr/bin/perl
# A small checker for the nginx formatting rules of STYLE.md: 80 columns,
# spaces not tabs, no trailing white space, /* */ comments only, no
# Windows line ends.  Run by 'make test' over our C sources.
use strict;
use warnings;
use File::Find;

my @files;
find(sub { push @files, $File::Find::name if /\.[ch]$/ }, grep { -d } @ARGV);

my $bad = 0;
for my $f (sort @files) {
    open my $fh, '<', $f or die "$f: $!";
    my $in_str_comment = 0;
    while (my $l = <$fh>) {
        chomp $l;
        my $n = $.;
        my @why;
        push @why, "longer than 80 columns" if length($l) > 80;
        push @why, "tab" if $l =~ /\t/;
        push @why, "trailing white space" if $l =~ /[ \r]$/;
        # a // comment outside a string literal
        (my $code = $l) =~ s/"(?:[^"\\]|\\.)*"//g;
        $code =~ s/'(?:[^'\\]|\\.)*'//g;
        push @why, "// comment" if $code =~ m{(^|[^:*])//};
        next unless @why;
        print "$f:$n: ", join(', ', @why), "\n";
        $bad++;
    }
}
if ($bad) {
    print "style: $bad problem(s)\n";
    exit 1;
}
