# Run PROGRAM with ARGS and compare its standard output with the file EXPECTED.
# Timings ("123.4 ms", "0.0123 s") are masked as "<time>" on both sides, so they
# never make a diff; a non-zero exit status is appended as "[exit N]". With -DUPDATE=ON the (masked) output is written to EXPECTED.
# -DEXACT=OFF (a build by another compiler than the one that wrote EXPECTED): a number's
# decimals past the twelfth are cut on both sides before comparing.
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
if(DEFINED EXACT AND NOT EXACT)  # another compiler than the files': decimals past the twelfth not compared
  foreach(text out want)
    string(REGEX REPLACE "([0-9]\\.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9])[0-9]+" "\\1"
           ${text} "${${text}}")
  endforeach()
endif()
if(NOT out STREQUAL want)
  get_filename_component(name ${EXPECTED} NAME)
  if(NOT ACTUAL_DIR)  # the build dir, never the sources (the run's working directory may be them)
    set(ACTUAL_DIR ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set(actual ${ACTUAL_DIR}/${name}.actual)
  file(WRITE ${actual} "${out}")
  execute_process(COMMAND diff -u ${EXPECTED} ${actual})
  message(FATAL_ERROR "output of ${PROGRAM} ${ARGS} differs from ${EXPECTED} (exit ${rc}; stderr: ${err})")
endif()
