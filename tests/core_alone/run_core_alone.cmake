# tests/core_alone/run_core_alone.cmake — run by CTest (core.alone) as
#   cmake -DSOURCE_DIR=... -DWORKDIR=... -DGENERATOR=... -DCXX_COMPILER=... "-DFLAGS=..." -P run_core_alone.cmake
# First: no core file includes a tapegrad header outside the core. Then the project beside
# this file is configured in WORKDIR (emptied first), built, and its tests run.
cmake_minimum_required(VERSION 3.25)
set(core shape.hpp operations.hpp tape.hpp tape.cpp var.hpp var.cpp)
foreach(file IN LISTS core)
  file(STRINGS ${SOURCE_DIR}/autodiff/${file} includes REGEX "^#include +\"tapegrad/")
  foreach(line IN LISTS includes)
    if(NOT line MATCHES "\"tapegrad/autodiff/(shape|operations|tape|var)\\.hpp\"")
      message(FATAL_ERROR "autodiff/${file} includes a file outside the core: ${line}")
    endif()
  endforeach()
endforeach()

include(${CMAKE_CURRENT_LIST_DIR}/../run_command.cmake)
file(REMOVE_RECURSE ${WORKDIR})
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/core_alone -B ${WORKDIR} -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}"
    -DTAPEGRAD_SOURCE_DIR=${SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${WORKDIR})
# Every object built is the core's, the checker's or a core test's: no kernel, no compiler.
file(GLOB_RECURSE objects RELATIVE ${WORKDIR} ${WORKDIR}/*.o)
foreach(object IN LISTS objects)
  if(NOT object MATCHES "/(tape|var|gradient_check|test_shape|test_operations|test_var|test_tape)\\.cpp\\.o$")
    message(FATAL_ERROR "the core's build compiled something else: ${object}")
  endif()
endforeach()
run(${CMAKE_CTEST_COMMAND} --test-dir ${WORKDIR} --output-on-failure)
message(STATUS "${output}")
