/* reader.h: the parts of the reader stage (design.md "reader", docs/records.md
 * "sample"): mapped input files, the three token sources (raw windows, .npy,
 * JSON Lines) behind one small interface, and instance selection.
 * It does not write records (main.c does) and knows nothing of models.
 * Ownership: every *_open has its *_close; views returned by a source's get
 * stay valid until the next get or close. Errors go through gm_error. */
#ifndef GM_READER_H
#define GM_READER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rng.h"
#include "tokenizer.h"

/* ---- mapped_file.c: a whole input file as bytes ----------------------- */

typedef struct mapped_file {
    const char *path;      /* as given (for messages) */
    const char *base;      /* base name (for the source field and ids) */
    const uint8_t *data;   /* NULL when size == 0 */
    size_t size;
    int mapped;            /* 1: mmap'd; 0: read into malloc'd memory */
} mapped_file;

/* Regular files are memory-mapped; pipes and other non-regular files (and
 * "-", stdin, through gm_input so LZ4 frames are undone) are read whole. */
int mapped_file_open(mapped_file *mf, const char *path, gm_error *err);
/* The same, but a regular file that starts with an LZ4 frame is decompressed
 * into memory (text inputs: JSON Lines). */
int mapped_file_open_text(mapped_file *mf, const char *path, gm_error *err);
void mapped_file_close(mapped_file *mf); /* accepts a zeroed struct */

/* Files concatenated into one index (raw token files, .npy): first[i] is the
 * global index of file i's first instance (ascending); the file that holds
 * global index `index` (first[0] <= index), its local index in *local. */
size_t mapped_files_find(const int64_t *first, size_t n, int64_t index, int64_t *local);

/* The non-blank lines of files (JSON Lines, plain text by line): each one's
 * file, byte span and physical line number. */
typedef struct text_line {
    size_t part;     /* which file */
    size_t offset;   /* byte offset of the line in it */
    size_t len;      /* bytes, without the newline */
    int64_t lineno;  /* 1-based physical line number, for messages */
} text_line;

typedef struct line_index {
    text_line *v;
    size_t n, cap;
} line_index;

/* Append the lines of f (file number part) that hold more than spaces, tabs
 * and carriage returns. */
int line_index_add(line_index *ix, const mapped_file *f, size_t part, gm_error *err);
void line_index_free(line_index *ix);

/* The base name of a path: the part after the last '/'; "-" -> "stdin". */
const char *path_base(const char *path);

/* ---- npy.c: NumPy .npy header ---------------------------------------- */

typedef enum { TOK_U16 = 0, TOK_U32, TOK_I32, TOK_I64, TOK_U64 } tok_dtype;

typedef struct npy_header {
    tok_dtype dtype;
    int width;             /* bytes per element */
    int ndim;              /* 1 or 2 */
    int64_t shape[2];
    size_t data_offset;    /* bytes before the array data */
} npy_header;

/* Parse and validate a .npy header in buf[0..len): magic, version 1/2/3,
 * descr one of '<u2' '<u4' '<i4' '<i8' '<u8', fortran_order False, shape
 * 1-D or 2-D, and the data size against len (the whole file's size). */
int npy_header_parse(const uint8_t *buf, size_t len, npy_header *h, gm_error *err);

/* Element i of an integer array of dtype dt at p, widened to int64 (u64
 * values above INT64_MAX come back negative, so callers reject them). */
int64_t tok_load(const uint8_t *p, tok_dtype dt, int64_t i);
int tok_width(tok_dtype dt);
const char *tok_name(tok_dtype dt); /* "u16", "u32", "i32", "i64", "u64" */
/* "u16"/"u32" (raw files); -1 if unknown. */
int tok_parse(const char *s, tok_dtype *dt);

/* ---- token sources ------------------------------------------------------ */

/* One instance, as a source hands it out. */
typedef struct sample_view {
    const uint32_t *tokens;  /* [T] */
    size_t n_tokens;         /* T */
    const char *source;      /* base name of the file it came from */
    const char *id;          /* the record's own id (JSON Lines), or NULL */
    const char *domain;      /* the record's own domain (JSON Lines), or NULL */
    const char *where;       /* "data.jsonl:12" or "data.bin: instance 7", for messages */
} sample_view;

typedef struct token_source {
    int64_t n_instances;     /* instances in the concatenation of the files */
    void *impl;
    int (*get)(void *impl, int64_t index, sample_view *v, gm_error *err);
    void (*close)(void *impl);
} token_source;

typedef struct source_config {
    const char *const *paths;  /* files in the order given ("-" only for JSON Lines) */
    size_t n_paths;
    tok_dtype dtype;           /* raw files: element type */
    int dtype_given;           /* npy: if set, every file's descr must match */
    int64_t seq_len;           /* raw and 1-D .npy: window length; 0 = not given */
    const char *source_name;   /* overrides the base names, or NULL */
    /* text (plain text files, JSON Lines "text"): tokenized with tok */
    tokenizer *tok;            /* NULL: no --tokenizer */
    int64_t bos, eos;          /* prepended / appended to each document when >= 0 */
    int text_lines;            /* plain text: one document per non-empty line (else per file) */
    int utf8_replace;          /* invalid UTF-8 becomes U+FFFD (else an error) */
} source_config;

/* text.c: a document's text to ids (the UTF-8 check or repair, BOS, the
 * tokenizer, EOS) into *ids (reset first); where names it in errors. */
int text_to_ids(const source_config *cfg, const char *text, size_t n, const char *where,
                tok_ids *ids, gm_error *err);

/* token_file.c: raw headerless little-endian u16/u32, instance n of a file at
 * byte n * width * seq_len; files concatenate; a trailing partial window is
 * not an instance (as OLMo's memmap dataset). */
int token_file_source_open(const source_config *cfg, token_source *src, gm_error *err);
/* npy.c: 1-D arrays cut into seq_len windows, or 2-D rows. */
int npy_source_open(const source_config *cfg, token_source *src, gm_error *err);
/* jsonl.c: one JSON object per non-empty line, "tokens" or "input_ids", or
 * "text" (with a tokenizer). */
int jsonl_source_open(const source_config *cfg, token_source *src, gm_error *err);
/* text.c: plain text files, one document per file or per non-empty line. */
int text_source_open(const source_config *cfg, token_source *src, gm_error *err);

/* source.c: the format by --format name or by a path's extension
 * (.npy; .jsonl, .json, either + .lz4, or "-"; .txt, .txt.lz4; anything else raw), and
 * opening by format
 * (format < 0: from the paths, which must then agree). */
enum { SOURCE_RAW = 0, SOURCE_NPY, SOURCE_JSONL, SOURCE_TEXT };
int source_format_of(const char *path);
int source_format_parse(const char *name); /* -1 if unknown */
/* format if >= 0, else the paths' common format; -1 (usage error) if they differ. */
int source_format_resolve(int format, const char *const *paths, size_t n, gm_error *err);
int token_source_open(int format, const source_config *cfg, token_source *src, gm_error *err);
int token_source_get(token_source *src, int64_t index, sample_view *v, gm_error *err);
void token_source_close(token_source *src); /* accepts a zeroed struct */

/* ---- select.c: which instances, in which order ------------------------- */

/* Either the consecutive instances [begin, end) (list == NULL), or an
 * explicit list in output order. */
typedef struct selection {
    int64_t begin, end;
    int64_t *list;
    size_t n_list;
} selection;

size_t selection_count(const selection *s);
int64_t selection_at(const selection *s, size_t i);
void selection_free(selection *s); /* accepts a zeroed struct */

/* All instances [0, n). */
void selection_all(selection *s, int64_t n);
/* "A:B" (half-open), "A:" (to the end), ":B"; A <= B <= n. */
int selection_range(selection *s, const char *spec, int64_t n, gm_error *err);
/* One index per line; blank lines and lines starting with '#' skipped;
 * every index in [0, n) and none twice. Order kept. */
int selection_indices_file(selection *s, const char *path, int64_t n, gm_error *err);
/* OLMo training step: global_indices[(step-1)*batch : step*batch], the file
 * a raw little-endian uint32 array or a .npy of integers; each in [0, n). */
int selection_olmo_step(selection *s, const char *path, int64_t step, int64_t batch,
                        int64_t n, gm_error *err);
/* Keep k of the selected instances, uniformly without replacement, seeded
 * (splitmix64 + Floyd's algorithm: the same picks on every machine); the
 * kept ones stay in their selection order. */
int selection_sample(selection *s, int64_t k, uint64_t seed, gm_error *err);

/* The PRNG, exposed for tests: uniform in [0, m) from common/rng.h's splitmix64. */
uint64_t splitmix64_below(uint64_t *state, uint64_t m);

#endif
