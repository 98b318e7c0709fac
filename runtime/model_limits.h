/*
 * model_limits.h — runt_limits resolved (defaults filled in, values checked), and
 * the checks a session makes on its plan.
 */
#ifndef RUNT_MODEL_LIMITS_H
#define RUNT_MODEL_LIMITS_H

#include "runt-backend.h"
#include "runt.h"

/* The deepest protobuf group nesting the wire reader can follow. */
#define RUNT_LIMITS_NESTING_MAX 64

/* *out = given with every 0 field at its default (given NULL: all defaults).
 * RUNT_E_INVALID_ARG naming `who` and the field for a negative value or a
 * nesting above RUNT_LIMITS_NESTING_MAX. */
runt_status runt_limits_resolve(const runt_limits *given, const char *who, runt_limits *out);

/* RUNT_E_LIMIT if a value the plan holds in the arena has more elements than
 * max_tensor_elements. The arena's bytes against max_arena_bytes are the
 * session's rule (session.c), which knows the backend's scratch too. */
runt_status runt_limits_check_plan(const runt_limits *l, const runt_plan *p);

#endif /* RUNT_MODEL_LIMITS_H */
