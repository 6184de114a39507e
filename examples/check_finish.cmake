# The end of every check script here: no temporary file may be left in WORKDIR, and any
# problem collected in `problems` fails the test with the program's output attached.
file(GLOB leftovers ${WORKDIR}/*.tmp-* ${WORKDIR}/.tapegrad-*)
if(leftovers)
  string(APPEND problems "temporary files left behind: ${leftovers}\n")
endif()
if(problems)
  message(FATAL_ERROR "${PROGRAM} ${ARGS}\n${problems}stdout:\n${out}\nstderr:\n${err}")
endif()
