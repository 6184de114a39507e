# A file the build generates and docs/ keeps a copy of (so that it opens from the repository
# too) must be the same in both places. Runs PROGRAM with ARGS in a fresh WORKDIR, where it
# writes GENERATED, and compares that with COMMITTED byte for byte.
cmake_policy(VERSION 3.25)
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
execute_process(COMMAND ${PROGRAM} ${ARGS} WORKING_DIRECTORY ${WORKDIR} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: exit status ${rc}\n${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORKDIR}/${GENERATED} ${COMMITTED} RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "${COMMITTED} is not what the build writes now (${WORKDIR}/${GENERATED}); "
                      "refresh it with: cmake --build <build dir> --target update_docs_pages")
endif()
