/* safetensors.h: one .safetensors file, validated and memory-mapped, and the
 * shard index (model.safetensors.index.json) that spreads a model over files.
 * Checks everything the format declares: header length against the file size,
 * the JSON header, each tensor's dtype, shape and data_offsets (inside the data
 * area, size = dtype x shape, no two tensors overlapping). It does not know
 * what a model needs: model.c checks names and shapes against config.json.
 * Spec: olmoe.md "Files". */
#ifndef GM_SAFETENSORS_H
#define GM_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER ((uint64_t)100 << 20) /* 100 MB, as the reference library */

typedef struct st_tensor {
    char *name;
    char dtype_name[12];  /* as in the file: "BF16", "F32", "I64", ... */
    int dtype;            /* gm_dtype (tensor.h) when F32/BF16/F16, else -1 */
    int elem_size;        /* bytes per element */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;
    uint64_t begin, end;  /* data_offsets: relative to the data area */
    const void *data;     /* mapped bytes at begin */
} st_tensor;

/* Read-only after st_file_open; the mapping lives until st_file_close. */
typedef struct st_file {
    char *path;
    int fd;
    void *map;            /* the whole file, PROT_READ */
    size_t size;          /* file size in bytes */
    uint64_t header_len;  /* the JSON header's length */
    size_t n;             /* number of tensors */
    st_tensor *tensors;   /* [n], sorted by name */
} st_file;

/* Open, map and validate. NULL with err naming the file (and tensor). */
st_file *st_file_open(const char *path, gm_error *err);
void st_file_close(st_file *f); /* accepts NULL */

/* The tensor called name, or NULL. O(log n). */
const st_tensor *st_file_find(const st_file *f, const char *name);

/* model.safetensors.index.json: {"metadata": {...}, "weight_map": {name: file}}. */
typedef struct st_index {
    char *path;
    size_t n;             /* entries in weight_map */
    char **names;         /* [n], sorted */
    const char **files;   /* [n], each points into shards[] */
    size_t n_shards;
    char **shards;        /* [n_shards] distinct file names, first-seen order */
} st_index;

/* Read and validate (file names must be plain names in the same folder). */
st_index *st_index_read(const char *path, gm_error *err);
void st_index_free(st_index *ix); /* accepts NULL */

/* The shard file name holding tensor name, or NULL if not listed. */
const char *st_index_file_of(const st_index *ix, const char *name);

#endif
