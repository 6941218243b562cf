/* accuracy_csv.h: which columns of the accuracy CSV hold what, as report's
 * --accuracy-column names them, and the read that uses them (accuracy_csv.c;
 * the table itself and the plain read are report.h's value_table). Spec:
 * method.md "Validation against test accuracy"; guide: docs/report.md. */
#ifndef GM_ACCURACY_CSV_H
#define GM_ACCURACY_CSV_H

#include "report.h"

/* The text of --accuracy-column: either NAME, the column holding accuracy, or
 * comma-separated ROLE=NAME pairs with ROLE one of step, domain, group,
 * accuracy (domain and group exclude each other; a role left out keeps its
 * default name). NULL: the defaults (step, domain or group, accuracy).
 * A malformed text is GM_EUSAGE. */
int accuracy_columns_check(const char *columns, gm_error *err);

/* Read the accuracy CSV at path with those columns (as value_table_read
 * otherwise). A column the header lacks is one error line naming the
 * columns it has. */
int accuracy_table_read(value_table *t, const char *path, const char *columns, gm_error *err);

#endif
