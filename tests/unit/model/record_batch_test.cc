#include "model/record_batch.h"

#include <gtest/gtest.h>

#include "model/record_batch_builder.h"

using namespace runnel::model;

TEST(record_batch, placeholder) { SUCCEED(); }
