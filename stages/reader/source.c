/* source.c: picks the token source for the files given (--format, or the
 * file extension: .npy, .jsonl/.json (LZ4 too), .txt (LZ4 too), else raw) and
 * hands out instances through one interface. Raw and .npy data must be named
 * files (they are memory-mapped); JSON Lines and text may also come from stdin
 * ("-").
 * design.md "reader". */
#include "reader.h"

#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int source_format_of(const char *path)
{
    if (strcmp(path, "-") == 0 || ends_with(path, ".jsonl") || ends_with(path, ".json") ||
        ends_with(path, ".jsonl.lz4") || ends_with(path, ".json.lz4"))
        return SOURCE_JSONL;
    if (ends_with(path, ".npy"))
        return SOURCE_NPY;
    if (ends_with(path, ".txt") || ends_with(path, ".txt.lz4"))
        return SOURCE_TEXT;
    return SOURCE_RAW;
}

int source_format_parse(const char *name)
{
    if (strcmp(name, "raw") == 0)
        return SOURCE_RAW;
    if (strcmp(name, "npy") == 0)
        return SOURCE_NPY;
    if (strcmp(name, "jsonl") == 0)
        return SOURCE_JSONL;
    if (strcmp(name, "text") == 0)
        return SOURCE_TEXT;
    return -1;
}

int source_format_resolve(int format, const char *const *paths, size_t n, gm_error *err)
{
    if (format < 0) {
        format = source_format_of(paths[0]);
        for (size_t i = 1; i < n; i++)
            if (source_format_of(paths[i]) != format)
                return gm_fail(err, GM_EUSAGE, "%s and %s are of different formats; read them "
                               "in separate runs, or say --format", paths[0], paths[i]);
    }
    return format;
}

int token_source_open(int format, const source_config *cfg, token_source *src, gm_error *err)
{
    memset(src, 0, sizeof *src);
    if ((format = source_format_resolve(format, cfg->paths, cfg->n_paths, err)) < 0)
        return -1;
    if (format == SOURCE_RAW || format == SOURCE_NPY)
        for (size_t i = 0; i < cfg->n_paths; i++)
            if (strcmp(cfg->paths[i], "-") == 0)
                return gm_fail(err, GM_EUSAGE, "%s token data cannot come from stdin (it is "
                               "memory-mapped): name the file",
                               format == SOURCE_NPY ? ".npy" : "raw");
    switch (format) {
    case SOURCE_RAW: return token_file_source_open(cfg, src, err);
    case SOURCE_NPY: return npy_source_open(cfg, src, err);
    case SOURCE_TEXT: return text_source_open(cfg, src, err);
    default: return jsonl_source_open(cfg, src, err);
    }
}

int token_source_get(token_source *src, int64_t index, sample_view *v, gm_error *err)
{
    return src->get(src->impl, index, v, err);
}

void token_source_close(token_source *src)
{
    if (src && src->close)
        src->close(src->impl);
    if (src)
        memset(src, 0, sizeof *src);
}
