/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_obj: a test helper: the sample JSON the agent writes (gv_emit_sample)
 * parsed back by json-c, so that tests can look values up in it. */
#ifndef VTUNE_GV_OBJ_H
#define VTUNE_GV_OBJ_H

#include <json-c/json.h>

#include "gview.h"

/* gv_emit_sample's text parsed by json-c (caller puts it); NULL when the
 * emitter fails or its text does not parse. */
struct json_object *gv_sample_obj(const struct gv_sample *s);

#endif
