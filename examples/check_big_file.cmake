# train_mlp refuses a data file over the CSV size limit (64 MiB) before reading it:
# exit 2, a message naming the file and the limit, no model written. The file is made
# sparse with truncate, so the test costs no disk space and no time.
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
execute_process(COMMAND truncate -s 65M ${WORKDIR}/big.csv RESULT_VARIABLE made)
if(NOT made EQUAL 0)
  message(FATAL_ERROR "cannot make the sparse file with truncate")
endif()
execute_process(COMMAND ${PROGRAM} --data big.csv --target y --save m.json WORKING_DIRECTORY ${WORKDIR}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
file(REMOVE ${WORKDIR}/big.csv)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--data: big.csv: the file is 68157440 bytes, over the limit of 67108864 bytes"
   OR EXISTS ${WORKDIR}/m.json)
  message(FATAL_ERROR "exit ${rc}, stderr: ${err}")
endif()
