/* error.h: how common/ code reports failure without printing or exiting.
 * A function that can fail takes a gm_error* and returns -1 (or NULL) after
 * filling it; only a stage's main() prints the message and picks the exit
 * code (gm_exit_code). Codes and their exit statuses are fixed here, once. */
#ifndef GM_ERROR_H
#define GM_ERROR_H

enum gm_code {
    GM_OK = 0,
    GM_EDATA,   /* bad input data: corrupt stream, wrong shape, bad value   -> exit 1 */
    GM_EIO,     /* a read, write, open or rename failed                     -> exit 1 */
    GM_ENOMEM,  /* an allocation failed                                     -> exit 1 */
    GM_EUSAGE,  /* bad command line                                         -> exit 2 */
    GM_EPIPE,   /* downstream closed the pipe: a quiet end                  -> exit 0 */
};

enum { GM_EXIT_OK = 0, GM_EXIT_FAIL = 1, GM_EXIT_USAGE = 2 };

typedef struct gm_error {
    int code;        /* enum gm_code */
    char msg[1024];  /* one line, no trailing newline, no program name */
} gm_error;

/* Fill e (if not NULL) and return -1, so callers can write `return gm_fail(...)`. */
int gm_fail(gm_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append " (where)" context to an existing message, e.g. the file and record. */
void gm_error_where(gm_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Text for a code ("bad data", "I/O error", ...). */
const char *gm_code_name(int code);

/* The process exit status for a code. */
int gm_exit_code(int code);

#endif
