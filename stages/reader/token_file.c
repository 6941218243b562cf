/* token_file.c: raw headerless token files, the OLMo pretraining format:
 * little-endian u16 or u32 ids, instance n of a file at byte offset
 * n * width * seq_len, files concatenated in the order given (the global
 * instance index), each memory-mapped. A trailing partial window is not an
 * instance (as OLMo's memmap dataset); a file whose size is not a whole
 * number of tokens is rejected. olmoe.md "Checkpoints and data". */
#include "reader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct token_part {
    mapped_file file;
    int64_t n;       /* its whole windows */
} token_part;

typedef struct token_file {
    token_part *parts;
    int64_t *first;  /* [n_parts]: global index of each part's first instance */
    size_t n_parts;
    tok_dtype dtype;
    int64_t seq_len;
    const char *source_name;
    uint32_t *buf;   /* [seq_len] */
    char where[512];
} token_file;

static void token_file_close(void *impl)
{
    token_file *tf = impl;
    if (!tf)
        return;
    for (size_t i = 0; i < tf->n_parts; i++)
        mapped_file_close(&tf->parts[i].file);
    free(tf->parts);
    free(tf->first);
    free(tf->buf);
    free(tf);
}

static int token_file_get(void *impl, int64_t index, sample_view *v, gm_error *err)
{
    token_file *tf = impl;
    int64_t local;
    const token_part *p = &tf->parts[mapped_files_find(tf->first, tf->n_parts, index, &local)];
    snprintf(tf->where, sizeof tf->where, "%s: instance %" PRId64, p->file.path, local);
    /* tokens[t] = file[local * seq_len + t], t < seq_len */
    int64_t at = local * tf->seq_len;
    for (int64_t t = 0; t < tf->seq_len; t++)
        tf->buf[t] = (uint32_t)tok_load(p->file.data, tf->dtype, at + t);
    v->tokens = tf->buf;
    v->n_tokens = (size_t)tf->seq_len;
    v->source = tf->source_name ? tf->source_name : p->file.base;
    v->id = NULL;
    v->domain = NULL;
    v->where = tf->where;
    return 0;
}

int token_file_source_open(const source_config *cfg, token_source *src, gm_error *err)
{
    memset(src, 0, sizeof *src);
    if (cfg->dtype != TOK_U16 && cfg->dtype != TOK_U32)
        return gm_fail(err, GM_EUSAGE, "raw token files are u16 or u32, not %s",
                       tok_name(cfg->dtype));
    if (cfg->seq_len <= 0)
        return gm_fail(err, GM_EUSAGE, "raw token files need --seq-len (OLMo: 4096)");
    token_file *tf = calloc(1, sizeof *tf);
    if (!tf || !(tf->parts = calloc(cfg->n_paths, sizeof *tf->parts)) ||
        !(tf->first = calloc(cfg->n_paths, sizeof *tf->first)) ||
        !(tf->buf = malloc((size_t)cfg->seq_len * sizeof *tf->buf))) {
        token_file_close(tf);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    tf->dtype = cfg->dtype;
    tf->seq_len = cfg->seq_len;
    tf->source_name = cfg->source_name;
    int width = tok_width(cfg->dtype);
    int64_t total = 0;
    for (size_t i = 0; i < cfg->n_paths; i++) {
        token_part *p = &tf->parts[i];
        if (mapped_file_open(&p->file, cfg->paths[i], err) < 0) {
            token_file_close(tf);
            return -1;
        }
        tf->n_parts = i + 1;
        if (p->file.size % (size_t)width != 0) {
            gm_fail(err, GM_EDATA, "%s: size %zu is not a whole number of %s tokens (%d bytes "
                    "each): truncated, or not a %s file?", p->file.path, p->file.size,
                    tok_name(cfg->dtype), width, tok_name(cfg->dtype));
            token_file_close(tf);
            return -1;
        }
        tf->first[i] = total;
        p->n = (int64_t)(p->file.size / (size_t)width) / cfg->seq_len;
        total += p->n;
    }
    src->n_instances = total;
    src->impl = tf;
    src->get = token_file_get;
    src->close = token_file_close;
    return 0;
}
