/* fuzz_accuracy_csv: the report's accuracy / validation-loss CSV reader
 * (stages/report/accuracy_csv.c, value_table_read) on arbitrary bytes:
 * header columns, RFC 4180 quotes, comments, CRLF. On success every entry has
 * a key and a line number inside the file, and value_table_get finds each
 * entry's value. It does not check against a study (value_table_check).
 * Spec: method.md "Validation against test accuracy"; issue 7. */
#include <math.h>
#include <string.h>

#include "../../stages/report/report.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const acc_cols[] = {"accuracy", "acc", NULL};
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    value_table t;
    gm_error err = {0};
    if (value_table_read(&t, path, acc_cols, &err) != 0) {
        FUZZ_ASSERT_ERROR(&err);
        FUZZ_ASSERT(strncmp(err.msg, path, strlen(path)) == 0 || err.code == GM_ENOMEM);
    } else {
        for (size_t i = 0; i < t.n; i++) {
            const value_entry *e = &t.e[i];
            FUZZ_ASSERT(e->key && e->line >= 2 && e->line <= size);
            double v = value_table_get(&t, e->step, e->key);
            FUZZ_ASSERT(!isnan(v) || isnan(e->value));
        }
    }
    value_table_free(&t);
    fuzz_file_close(fd);
    return 0;
}
