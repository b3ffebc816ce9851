// The runnel stream-processing library: include this one header.
// docs/stream/README.md is the guide; src/stream/README.md the internals.
#pragma once

#include "runnel/stream/app.h"
#include "runnel/stream/builder.h"
#include "runnel/stream/grouped.h"
#include "runnel/stream/join.h"
#include "runnel/stream/json.h"
#include "runnel/stream/processor.h"
#include "runnel/stream/serde.h"
#include "runnel/stream/stream.h"
#include "runnel/stream/table.h"
#include "runnel/stream/windowed.h"
#include "runnel/stream/windows.h"
