/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_json_ref: test helpers for the sample JSON — the json-c builder the
 * hand-written emitter replaced (the reference it must equal), and the
 * emitter's text parsed back into a json-c object. */
#ifndef VTUNE_GV_JSON_REF_H
#define VTUNE_GV_JSON_REF_H

#include <json-c/json.h>

#include "gview.h"

/* The sample as the json-c tree the agent used to build (caller puts it). */
struct json_object *gv_ref_sample_to_json(const struct gv_sample *s);

/* gv_emit_sample's text parsed by json-c (caller puts it); NULL when the
 * emitter fails or its text does not parse. */
struct json_object *gv_sample_obj(const struct gv_sample *s);

#endif
