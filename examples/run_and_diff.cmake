# Run PROGRAM with ARGS and compare its standard output with the file EXPECTED.
# Timings ("123.4 ms", "0.0123 s") are masked as "<time>" on both sides, so they
# never make a diff; a non-zero exit status is appended as "[exit N]". With -DUPDATE=ON the (masked) output is written to EXPECTED.
execute_process(COMMAND ${PROGRAM} ${ARGS}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  string(APPEND out "[exit ${rc}]\n")  # a run expected to fail says so in its expected file
endif()
string(REGEX REPLACE "[0-9]+(\\.[0-9]+)? (ms|us|ns|s)([^A-Za-z]|$)" "<time>\\3" out "${out}")
if(UPDATE)
  file(WRITE ${EXPECTED} "${out}")
  message(STATUS "wrote ${EXPECTED} (exit ${rc})")
  return()
endif()
if(NOT EXISTS ${EXPECTED})
  message(FATAL_ERROR "no expected output ${EXPECTED}; create it with the update_expected_output target")
endif()
file(READ ${EXPECTED} want)
if(NOT out STREQUAL want)
  get_filename_component(name ${EXPECTED} NAME)
  set(actual ${CMAKE_CURRENT_BINARY_DIR}/${name}.actual)  # the build dir, never the sources
  file(WRITE ${actual} "${out}")
  execute_process(COMMAND diff -u ${EXPECTED} ${actual})
  message(FATAL_ERROR "output of ${PROGRAM} ${ARGS} differs from ${EXPECTED} (exit ${rc}; stderr: ${err})")
endif()
