/* test_record_types.c: docs/records.md names exactly the fields of each
 * record type whose field list is in common/record_types.h (a field missing
 * from either side fails), with the same kind (`int`, `f64`, `bin f32`, ...)
 * where the document gives one, and "or nil" only where the list allows nil.
 * Run from the repository (tests/run.sh sets GM_ROOT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_types.h"
#include "test.h"

enum { MAX_NAMES = 64 };

typedef struct doc_field {
    char name[64], kind[64];
} doc_field;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '`')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '`' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

/* The fields of the table under "## TYPE (" in the document. */
static size_t doc_fields(FILE *f, const char *type, doc_field *out)
{
    char line[4096], head[128];
    snprintf(head, sizeof head, "## %s (", type);
    size_t n = 0;
    int in = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "## ", 3) == 0) {
            if (in)
                break;
            in = strncmp(line, head, strlen(head)) == 0;
            continue;
        }
        if (!in || line[0] != '|')
            continue;
        char *cells[3] = {0}, *save = NULL, *c = strtok_r(line + 1, "|", &save);
        for (int k = 0; k < 3 && c; k++, c = strtok_r(NULL, "|", &save))
            cells[k] = c;
        if (!cells[1])
            continue;
        char *names = trim(cells[0]), *kind = trim(cells[1]);
        if (strcmp(names, "field") == 0 || strncmp(names, "---", 3) == 0)
            continue;
        for (char *s2 = NULL, *name = strtok_r(names, ",", &s2); name && n < MAX_NAMES;
             name = strtok_r(NULL, ",", &s2)) {
            snprintf(out[n].name, sizeof out[n].name, "%s", trim(name));
            snprintf(out[n].kind, sizeof out[n].kind, "%s", kind);
            n++;
        }
    }
    return n;
}

static const char *kind_word(rf_kind k)
{
    switch (k) {
    case RF_STR: return "str";
    case RF_I64: return "int";
    case RF_F64: return "f64";
    case RF_BOOL: return "bool";
    case RF_F32S: return "bin f32";
    case RF_F64S: return "bin f64";
    case RF_U16S: return "bin u16";
    case RF_U32S: return "bin u32";
    }
    return "?";
}

int main(void)
{
    const char *root = getenv("GM_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/records.md", root ? root : ".");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "%s opens", path);
    if (!f)
        return test_status();
    for (size_t t = 0; t < record_types_count; t++) {
        const rf_type *ty = record_types[t];
        doc_field doc[MAX_NAMES];
        size_t n = doc_fields(f, ty->type, doc);
        CHECK(n > 0, "records.md has a field table for %s", ty->type);
        /* every documented field is in the list (or is "type") */
        for (size_t i = 0; i < n; i++) {
            if (strcmp(doc[i].name, "type") == 0)
                continue;
            const rf_field *hit = NULL;
            for (size_t j = 0; j < ty->n_fields; j++)
                if (strcmp(ty->fields[j].key, doc[i].name) == 0)
                    hit = &ty->fields[j];
            CHECK(hit != NULL, "%s.%s of records.md is in record_types.h", ty->type, doc[i].name);
            if (!hit || !doc[i].kind[0])
                continue;
            const char *want = kind_word(hit->kind);
            CHECK(strncmp(doc[i].kind, want, strlen(want)) == 0,
                  "%s.%s: records.md says '%s', the list %s", ty->type, doc[i].name, doc[i].kind,
                  want);
            if (strstr(doc[i].kind, "or nil"))
                CHECK(hit->flags & RF_NIL, "%s.%s: records.md says it may be nil, so may the list",
                      ty->type, doc[i].name);
        }
        /* every listed field is documented, and so is "type" */
        int has_type = 0;
        for (size_t i = 0; i < n; i++)
            has_type |= strcmp(doc[i].name, "type") == 0;
        CHECK(has_type, "records.md documents %s.type", ty->type);
        size_t missing = 0;
        for (size_t j = 0; j < ty->n_fields; j++) {
            int found = 0;
            for (size_t i = 0; i < n; i++)
                found |= strcmp(doc[i].name, ty->fields[j].key) == 0;
            if (!found) {
                missing++;
                CHECK(found, "%s.%s of record_types.h is in records.md", ty->type, ty->fields[j].key);
            }
        }
        CHECK(missing == 0, "records.md documents all %zu fields of %s", ty->n_fields, ty->type);
    }
    fclose(f);
    return test_status();
}
