/* cli.h: the command-line conventions every grokmon program shares
 * (design.md, style.md 10): one declarative option table per program, from
 * which both the parser and --help are made, so they cannot drift; --help to
 * stdout, usage errors to stderr with exit 2; `prog: error: ...` lines;
 * progress on stderr. This is main()'s helper: it is the one place outside a
 * main() that prints and exits (for --help, --version and usage errors). */
#ifndef GM_CLI_H
#define GM_CLI_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "runtime.h"

#define GM_VERSION "0.1.0"

typedef enum {
    CLI_FLAG,    /* int*: set to 1 */
    CLI_INT,     /* int64_t*, checked against [min, max] */
    CLI_DOUBLE,  /* double*, checked against [min, max] */
    CLI_STRING,  /* const char** */
    CLI_LIST,    /* cli_list*: every occurrence appended */
} cli_kind;

typedef struct cli_list {
    const char **items;
    int n;
} cli_list;

typedef struct cli_option {
    const char *name;     /* long name without "--" */
    char short_name;      /* 0 if none */
    cli_kind kind;
    void *dest;
    const char *arg;      /* argument name for help, e.g. "N" */
    const char *help;     /* one line; the default is appended from *dest */
    double min, max;      /* for CLI_INT / CLI_DOUBLE (min == max: no check) */
    int not_recorded;     /* 1: leave out of the header's options (-o, --progress) */
} cli_option;

typedef struct cli_program {
    const char *name;      /* "router-trace" */
    const char *usage;     /* "router-trace --model DIR [options] [FILE]" */
    const char *summary;   /* one paragraph */
    const char *example;   /* an example pipeline (may hold several lines) */
    cli_option *options;   /* terminated by an entry with name == NULL */
} cli_program;

/* Parse argv against the table. Handles -h/--help and --version (print to
 * stdout, exit 0) and usage errors (one line to stderr, exit 2). "--" ends
 * options; "-" is a positional (stdin). Returns the index of the first
 * positional argument; positionals may also be interleaved with options, in
 * which case they are moved to the end of argv in order: argv is reordered,
 * so a program that re-executes itself must copy argv before parsing. */
int cli_parse(const cli_program *prog, int argc, char **argv);

/* Print `prog: error: msg` and exit with the code's status; GM_EPIPE exits 0
 * quietly. */
void cli_die(const char *prog, const gm_error *err) __attribute__((noreturn));
/* Usage error from main: print `prog: error: ...` and exit 2. */
void cli_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* A record_pack_fn: packs the program's recorded options as a map (ctx is the
 * cli_program*). */
void cli_pack_options(msgpack_packer *pk, const void *prog);

/* Ignore SIGPIPE (writes then fail with EPIPE, reported as GM_EPIPE). Called
 * by cli_parse. */
void cli_init_signals(void);

/* Progress on stderr: shown when stderr is a terminal or force is set.
 * total 0 means unknown. At most a few updates per second. */
typedef struct cli_progress {
    int enabled;
    const char *what;      /* "samples" */
    uint64_t done, total;
    double start, last;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *what, uint64_t total, int force);
void cli_progress_update(cli_progress *p, uint64_t done);
void cli_progress_finish(cli_progress *p);

/* Table entries every stage shares (put them in its option table). */
#define CLI_OPT_OUTPUT(dest) \
    {"output", 'o', CLI_STRING, (dest), "FILE", "write to FILE (atomically; a .lz4 name compresses) instead of stdout", 0, 0, 1}
#define CLI_OPT_COMPRESS(dest) \
    {"compress", 'z', CLI_FLAG, (dest), NULL, "compress the output with LZ4 frames", 0, 0, 1}
#define CLI_OPT_PROGRESS(dest) \
    {"progress", 0, CLI_FLAG, (dest), NULL, "show progress on stderr even when it is not a terminal", 0, 0, 1}
/* --threads N (-j N): an int64_t the stage hands to runtime_start, which
 * resolves 0 to all CPUs; `what` says what the threads do. */
#define CLI_OPT_THREADS(dest, what) \
    {"threads", 'j', CLI_INT, (dest), "N", what " (0: all CPUs)", 0, RUNTIME_THREADS_MAX, 1}
#define CLI_OPT_END {NULL, 0, CLI_FLAG, NULL, NULL, NULL, 0, 0, 0}
#endif
