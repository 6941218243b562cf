/* record_types.c: the field tables of record_types.h's lists. */
#include "record_types.h"

RF_DEFINE(trace, TRACE_FIELDS);
RF_DEFINE(pathway, PATHWAY_FIELDS);
RF_DEFINE(membership, MEMBERSHIP_FIELDS);
RF_DEFINE(calibration, CALIBRATION_FIELDS);
RF_DEFINE(metric, METRIC_FIELDS);

const rf_type *const record_types[] = {&trace_fields, &pathway_fields, &membership_fields,
                                       &calibration_fields, &metric_fields};
const size_t record_types_count = sizeof record_types / sizeof record_types[0];
