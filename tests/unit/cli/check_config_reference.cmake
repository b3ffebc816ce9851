# Fails when docs/configuration.md differs from `runnel serve
# --print-config-reference` (run as: cmake -DRUNNEL=... -DDOC=... -P this).
execute_process(COMMAND ${RUNNEL} serve --print-config-reference
                OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "runnel serve --print-config-reference failed (${rc})")
endif()
file(READ ${DOC} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR
    "docs/configuration.md is out of date with the code; regenerate it with\n"
    "  build/runnel serve --print-config-reference > docs/configuration.md")
endif()
