/// A command prefix that gives the program a clean signal state.
///
/// Processes started from Swift code inherit the starting thread's signal mask, and Dispatch/Swift
/// concurrency threads block most signals: a `busybox ping -c 2` started that way never gets its
/// SIGALRM and hangs. This prefix (perl-base is Essential on Debian) unblocks every signal and
/// restores default handling of the usual ones before exec'ing the program.
enum LabSignals {
    static let resetPrefix = [
        "perl", "-MPOSIX", "-e",
        #"sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die "sigprocmask: $!\n"; "#
            + #"$SIG{$_} = 'DEFAULT' for qw(PIPE ALRM INT TERM HUP QUIT USR1 USR2 CHLD TSTP TTIN TTOU); "#
            + #"exec { $ARGV[0] } @ARGV or die "cannot run $ARGV[0]: $!\n";"#,
    ]
}
