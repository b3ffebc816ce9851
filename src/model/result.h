// result<T>, outcome and RUNNEL_TRY for runnel's modules: defined once in the
// public header include/runnel/result.h, which the embeddable libraries'
// headers use too.
#pragma once

#include "runnel/result.h"
