#!/bin/sh
# examples/check_outputs.sh CASE WORKDIR PROGRAM [ARGS...] — how the programs treat the
# files they write and the streams they print to, one CASE per CTest test (registered in
# examples/CMakeLists.txt). Each case runs PROGRAM in a fresh WORKDIR, sets up what a
# hostile or careless user would (a planted link, a signal mid-write, a device, a 0600
# file, a hard link, a full disk as standard output, ...) and checks the outcome. Exit 0
# when it holds; otherwise 1 with the reason. Every case also checks that no temporary
# file (.tapegrad-*, *.tmp-*) is left behind.
set -u
case_name=$1 work=$2 program=$3
shift 3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "check_outputs $case_name: $*" >&2; [ -f err ] && sed 's/^/  stderr: /' err >&2; exit 1; }
no_leftovers() {
    for f in .tapegrad-* *.tmp-*; do [ -e "$f" ] || [ -L "$f" ] && fail "temporary file left behind: $f"; done
    return 0
}
lines() { wc -l < "$1" | tr -d ' '; }
run() { "$program" "$@" > out 2> err; }

case $case_name in
planted_symlink)  # a link planted at the old predictable name NAME.tmp-PID (the shell's PID is the program's after exec)
    echo precious > victim
    sh -c 'ln -s victim h.csv.tmp-$$; exec "$0" --iterations 5 --quiet --history h.csv' "$program" > out 2> err ||
        fail "exit status $?"
    [ "$(cat victim)" = precious ] || fail "the planted link's target was overwritten"
    [ "$(lines h.csv)" = 6 ] || fail "h.csv has $(lines h.csv) lines, expected 6"
    rm -f h.csv.tmp-*
    ;;
signal_*)  # any signal that ends the program, sent while the history is being written, leaves nothing behind
    signal=${case_name#signal_} send=-${case_name#signal_}
    case $signal in  # dash's kill knows no names for the real-time signals: glibc's numbers
    RTMIN) send=-34 ;;
    RTMAX) send=-64 ;;
    esac
    ulimit -c 0  # SIGQUIT, SIGXFSZ, ...: no core file
    ulimit -f 1000000  # a run that outlives its signal stops at 512 MB (SIGXFSZ), not at a full disk
    # (env: a background job of a script starts with SIGINT ignored, and the test runner
    # may ignore others; give every signal back its default)
    env --default-signal "$program" --iterations 1000000000 --quiet --history h.csv > out 2> err &
    pid=$!
    tries=0
    until ls -A | grep -q '^\.tapegrad-'; do
        tries=$((tries + 1))
        [ $tries -gt 200 ] && { kill -KILL $pid; fail "no temporary file appeared within 20 s"; }
        sleep 0.1
    done
    sleep 0.5
    # (a signal not sent would leave the run writing its history until the disk is full)
    kill $send $pid || { kill -KILL $pid; fail "cannot send SIG$signal"; }
    wait $pid
    status=$?
    [ $status -ge 128 ] && [ "$(kill -l $status)" = "$signal" ] || fail "exit status $status, expected death by SIG$signal"
    [ -e h.csv ] && fail "h.csv was written"
    ;;
mode_0600)  # the old file's permissions are kept
    echo old > h.csv && chmod 600 h.csv
    run --iterations 5 --quiet --history h.csv || fail "exit status $?"
    [ "$(stat -c %a h.csv)" = 600 ] || fail "h.csv has mode $(stat -c %a h.csv), expected 600"
    [ "$(lines h.csv)" = 6 ] || fail "h.csv was not replaced"
    ;;
read_only)  # a read-only file is refused, and left as it was
    echo old > h.csv && chmod 444 h.csv
    run --iterations 5 --quiet --history h.csv
    [ $? = 2 ] || fail "exit status not 2"
    grep -q -- "--history: 'h.csv' is read-only" err || fail "stderr does not name --history and the file"
    [ "$(cat h.csv)" = old ] || fail "h.csv was changed"
    ;;
device)  # a device stays a device: written in place (a null device made here, not /dev/null)
    mknod null c 1 3 2> /dev/null || fail "cannot make a device node here (needs root)"
    run --iterations 5 --quiet --history null || fail "exit status $?"
    [ -c null ] || fail "the device was replaced by a regular file"
    run --iterations 5 --quiet --history /dev/null || fail "exit status $? with /dev/null"
    [ -c /dev/null ] || fail "/dev/null is no longer a device"
    ;;
fifo)  # a FIFO is written in place, its reader gets the history
    mkfifo pipe
    cat pipe > got &
    reader=$!
    run --iterations 5 --quiet --history pipe
    status=$?
    [ -p pipe ] || { kill $reader; fail "the FIFO was replaced"; }
    [ $status = 0 ] || { kill $reader; fail "exit status $status"; }
    wait $reader
    [ "$(lines got)" = 6 ] || fail "the FIFO's reader got $(lines got) lines, expected 6"
    ;;
symlink_followed)  # a link is followed: its target gets the new contents, the link stays
    echo old > real.csv && ln -s real.csv link.csv
    run --iterations 5 --quiet --history link.csv || fail "exit status $?"
    [ -L link.csv ] || fail "the link was replaced"
    [ "$(lines real.csv)" = 6 ] || fail "the link's target was not written"
    ;;
hard_link_kept)  # a file with two names: both see the new contents
    echo old > a.csv && ln a.csv b.csv
    run --iterations 5 --quiet --history a.csv || fail "exit status $?"
    [ "$(stat -c %i a.csv)" = "$(stat -c %i b.csv)" ] || fail "the hard link was split"
    [ "$(lines b.csv)" = 6 ] || fail "the other name does not see the new contents"
    ;;
long_name)  # a 250-character file name (the longest a temporary suffix would break)
    name=$(printf '%0246d' 0 | tr 0 h).csv
    run --iterations 5 --quiet --history "$name" || fail "exit status $?"
    [ "$(lines "$name")" = 6 ] || fail "the 250-character file was not written"
    ;;
same_file)  # one file named two ways (.., a link) by two options is refused up front
    echo "the user's own file" > p.svg && mkdir sub && ln -s p.svg q.svg
    for pair in "--history p.svg --plot p.svg" "--history p.svg --compare-plot sub/../p.svg" \
                "--plot p.svg --compare-plot q.svg" "--history q.svg --plot ./p.svg"; do
        # shellcheck disable=SC2086
        run $pair
        [ $? = 2 ] || fail "$pair: exit status not 2"
        grep -q "is also the file of" err || fail "$pair: stderr does not name both options"
    done
    [ "$(cat p.svg)" = "the user's own file" ] || fail "p.svg was changed"
    run --history new.svg --plot ./sub/../new.svg
    [ $? = 2 ] || fail "a new file named twice: exit status not 2"
    [ -e new.svg ] && fail "new.svg was written"
    ;;
file_name_cannot_reach_gnuplot_as_a_command)  # [DATA-FOLDER]: a newline in a file name cannot end gnuplot's command
    # A line "!touch PWNED" in gnuplot's script would run in a shell. train_mlp puts the
    # --data file's name in the picture's title; train_health gets the --plot name.
    evil=$(printf 'd\n!touch PWNED\n#')
    if [ $# -gt 0 ]; then
        cp "$1/moons.csv" "$evil.csv" || fail "cannot copy the data"
        run --data "$evil.csv" --target label --loss log --hidden 2 --epochs 2 --quiet --plot "$evil.svg"
    else
        run --iterations 20 --quiet --plot "$evil.svg"
    fi
    status=$?
    [ -e PWNED ] && fail "gnuplot ran the shell command in the file name"
    [ $status = 0 ] || fail "exit status $status"
    [ -s "$evil.svg" ] || fail "no picture drawn"
    if [ $# -gt 0 ]; then
        grep -q 'train_mlp on d\\x0a!touch PWNED\\x0a#.csv' "$evil.svg" || fail "the title does not show the name with \\x0a"
    fi
    ;;
output_onto_an_input_is_refused)  # PREDICT_MLP DATA-FOLDER (PROGRAM is train_mlp): an output naming an input is refused
    predict=$1 data=$2
    cp "$data/moons.csv" d.csv && cp "$data/moons_test.csv" t.csv && cp "$data/moons_points.csv" p.csv &&
        cp "$data/moons_model.json" m.json || fail "cannot copy the data"
    cp d.csv d.orig && cp t.csv t.orig && cp p.csv p.orig && cp m.json m.orig
    mkdir sub && ln -s d.csv d_link.csv && ln d.csv d_hard.csv && ln -s t.csv t_link.csv && ln t.csv t_hard.csv &&
        ln -s p.csv p_link.csv && ln p.csv p_hard.csv && ln -s m.json m_link.json && ln m.json m_hard.json
    refused() {  # OUTPUT-OPTION INPUT-OPTION PROGRAM ARGS...: exit 2, naming both options
        output=$1 input=$2
        shift 2
        "$@" > out 2> err
        status=$?
        [ $status = 2 ] || fail "$*: exit status $status, expected 2"
        grep -q -- "^[a-z_]*: $output: '.*' is also the file of $input, an input" err ||
            fail "$*: stderr does not name $output and $input"
    }
    for name in p.csv ./p.csv p_link.csv p_hard.csv sub/../p.csv "$PWD/p.csv"; do
        refused --output --data "$predict" --model m.json --data p.csv --output "$name"
    done
    refused --output --data "$predict" --model m.json --data p_link.csv --output p_hard.csv
    for name in m.json m_link.json m_hard.json sub/../m.json; do
        refused --output --model "$predict" --model m.json --data p.csv --output "$name"
    done
    train="--target label --loss log --hidden 2 --epochs 1 --quiet"
    for option in --save --history --predictions --plot; do
        for name in d.csv d_link.csv d_hard.csv sub/../d.csv; do
            # shellcheck disable=SC2086
            refused $option --data "$program" --data d.csv --test t.csv $train $option "$name"
        done
        for name in t.csv t_link.csv t_hard.csv ./t.csv; do
            # shellcheck disable=SC2086
            refused $option --test "$program" --data d_link.csv --test t.csv $train $option "$name"
        done
    done
    for f in d t p; do cmp -s $f.csv $f.orig || fail "$f.csv was changed"; done
    cmp -s m.json m.orig || fail "m.json was changed"
    [ -L d_link.csv ] && [ -L p_link.csv ] && [ -L m_link.json ] || fail "a link was replaced"
    ;;
empty_file_name)  # OPTION [ARGS...]: `OPTION ''` is a usage error naming OPTION, and nothing is written
    option=$1
    shift
    run "$@" "$option" ''
    status=$?
    [ $status = 2 ] || fail "$option '': exit status $status, expected 2"
    grep -q -- "$option: the file name is empty" err || fail "$option '': stderr does not name $option"
    [ "$(ls -A | grep -v -x -e out -e err)" = "" ] || fail "$option '': a file was written: $(ls -A)"
    ;;
stdout_full)  # standard output that cannot be written is an error, not a success
    "$program" "$@" > /dev/full 2> err
    status=$?
    [ $status = 0 ] && fail "exit status 0 with standard output on /dev/full"
    grep -q "standard output" err || fail "stderr does not say the standard output was lost"
    ;;
only_empty)  # --only '' is not "all"
    run --only ''
    [ $? = 2 ] || fail "exit status not 2"
    grep -q -- "--only: unknown case ''" err || fail "stderr does not name --only"
    ;;
control_characters)  # a bad value's control characters are escaped when echoed
    run --activation "$(printf 'a\033[31mb')"
    [ $? = 2 ] || fail "exit status not 2"
    grep -q 'a\\x1b\[31mb' err || fail "the escape character is not shown as \\x1b"
    if grep -q "$(printf '\033')" err; then fail "a raw escape character reached the terminal"; fi
    ;;
*) fail "unknown case" ;;
esac
no_leftovers
exit 0
