/* gv_json: the guest view as JSON (json-c): what `vtune-agent sample --json`
 * prints and what a `report` message carries to the host. */
#ifndef VTUNE_GV_JSON_H
#define VTUNE_GV_JSON_H

#include <json-c/json.h>

#include "gview.h"

/* A new JSON object (caller puts it) holding every group of the sample,
 * plus "metrics": the flat guest.* values by name. NULL on no memory. */
struct json_object *gv_sample_to_json(const struct gv_sample *s);

#endif
