/* report.h -- the audit's verdict, for people (text: what was checked,
 * then each violation) and for programs (EDN for results.edn, or JSON). */
#ifndef PX_AUDIT_REPORT_H
#define PX_AUDIT_REPORT_H

#include <stdio.h>

#include "result.h"
#include "state.h"

void audit_report_text(FILE *f, const audit_state *st, const audit_result *r, double seconds);
void audit_report_edn(FILE *f, const audit_state *st, const audit_result *r, double seconds);
void audit_report_json(FILE *f, const audit_state *st, const audit_result *r, double seconds);

/* When the audit could not run: the verdict is unknown. */
void audit_report_error_edn(FILE *f, const char *error);
void audit_report_error_json(FILE *f, const char *error);

#endif
