# The classic data sets in examples/data are what make_real_data.py writes today from
# Debian python3-sklearn's copies: written again into WORKDIR, every file the same byte
# for byte.
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
execute_process(COMMAND ${PYTHON} ${DATA}/make_real_data.py --to ${WORKDIR} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_real_data.py: exit ${rc}: ${err}")
endif()
foreach(name iris wine breast_cancer digits)
  foreach(file ${name}.csv ${name}_test.csv)
    execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORKDIR}/${file} ${DATA}/${file} RESULT_VARIABLE differ)
    if(differ)
      message(FATAL_ERROR "${DATA}/${file} is not what make_real_data.py writes today")
    endif()
  endforeach()
endforeach()
