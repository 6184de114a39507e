# tests/run_command.cmake — run(COMMAND...) for the test scripts that build projects of their
# own (consumer/, core_alone/): runs the command, stops the script naming it and showing its
# output when it fails, and leaves the output in `output`.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${status}): ${command}\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()
