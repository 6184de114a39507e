# The progress line of a training run: shown on a terminal, never in a log or with --quiet.
# PROGRAM runs three times with TAPEGRAD_PROGRESS_AFTER=0 (show it from the start):
# under `script`, whose pseudo-terminal makes stderr a terminal (the line must appear,
# and be erased at the end); with stderr in a pipe (nothing); and on the terminal with
# --quiet (nothing).
set(ENV{TAPEGRAD_PROGRESS_AFTER} 0)
set(run "${PROGRAM} --iterations 200000")
execute_process(COMMAND ${SCRIPT} -qec "${run}" /dev/null OUTPUT_VARIABLE terminal RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT terminal MATCHES "iteration [0-9]+ of 200000, RMSE [0-9.e+-]+, [0-9]+ iterations/s")
  message(FATAL_ERROR "no progress line on a terminal (exit ${rc}):\n${terminal}")
endif()
string(ASCII 27 escape)
string(FIND "${terminal}" "\r${escape}[K" erase REVERSE)
string(FIND "${terminal}" "iterations/s" last_line REVERSE)
if(erase LESS last_line)
  message(FATAL_ERROR "the progress line is not erased at the end:\n${terminal}")
endif()
execute_process(COMMAND ${PROGRAM} --iterations 200000 OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR err MATCHES "iterations/s")
  message(FATAL_ERROR "a progress line went to a pipe (exit ${rc}):\n${err}")
endif()
execute_process(COMMAND ${SCRIPT} -qec "${run} --quiet" /dev/null OUTPUT_VARIABLE terminal RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR terminal MATCHES "iterations/s")
  message(FATAL_ERROR "a progress line with --quiet (exit ${rc}):\n${terminal}")
endif()
