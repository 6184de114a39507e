# tests/consumer/run_consumer.cmake — gets tapegrad one way, builds the consumer project
# beside this file against it, runs it and checks what it prints. Run by CTest (see
# tests/CMakeLists.txt) as  cmake -DMODE=... -P run_consumer.cmake  with
#   MODE          install           `cmake --install` tapegrad's build into WORKDIR/prefix
#                 deb               `cpack -G DEB`, unpacked into WORKDIR/root (the package's /usr)
#                 add_subdirectory  the consumer adds tapegrad's sources
#                 FetchContent      the same through FetchContent (configured only: the build
#                                   is add_subdirectory's)
#   BUILD_DIR     tapegrad's build folder;  SOURCE_DIR  tapegrad's sources
#   WORKDIR       scratch folder, emptied first
#   GENERATOR, CXX_COMPILER, FLAGS   passed on to the consumer's build (FLAGS: sanitizers)
#   PROJECT       optional: another consumer project to build instead of this folder's (it
#                 must make an executable `app`), e.g. examples/your_program of the tutorial
#   EXPECTED      with PROJECT: the file `app`'s output must equal, line for line
#   PAGE          optional, with PROJECT: a sweep page `app` writes (write_sweep_page), which must
#                 exist in WORKDIR (where `app` runs) and hold the page's data and its gradient step
# For install and deb it also checks the files and that the exported targets carry nothing
# of tapegrad's own build: no Boost, benchmark, sanitizer, warning flag or EIGEN_ setting;
# in every mode, that the consumer's compile and link lines name none of them either.
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/../run_command.cmake)

# The installed tree under PREFIX: headers, libraries, package files, and clean exports.
function(check_installed prefix)
  file(GLOB_RECURSE config "${prefix}/*/tapegradConfig.cmake")
  if(NOT config)
    message(FATAL_ERROR "no tapegradConfig.cmake under ${prefix}")
  endif()
  get_filename_component(config_dir "${config}" DIRECTORY)
  get_filename_component(libdir "${config_dir}/../.." ABSOLUTE)
  foreach(file include/tapegrad/autodiff/tape.hpp include/tapegrad/autodiff/var.hpp include/tapegrad/autodiff/sweep_page.hpp
               include/tapegrad/nn/parameters.hpp)
    if(NOT EXISTS "${prefix}/${file}")
      message(FATAL_ERROR "not installed: ${file}")
    endif()
  endforeach()
  foreach(file libtapegrad_core.a libtapegrad_check.a libtapegrad_autodiff.a libtapegrad_nn.a cmake/tapegrad/tapegradConfigVersion.cmake
               cmake/tapegrad/tapegradTargets.cmake)
    if(NOT EXISTS "${libdir}/${file}")
      message(FATAL_ERROR "not installed: ${libdir}/${file}")
    endif()
  endforeach()
  file(GLOB exports "${config_dir}/tapegradTargets*.cmake")
  foreach(export IN LISTS exports)
    file(STRINGS "${export}" lines REGEX "INTERFACE_|IMPORTED_LINK")
    foreach(line IN LISTS lines)
      if(line MATCHES "[Bb]oost|benchmark|sanitize|EIGEN_|-W|tapegrad_warnings")
        message(FATAL_ERROR "${export} passes tapegrad's own build setting '${CMAKE_MATCH_0}' to consumers:\n${line}")
      endif()
    endforeach()
  endforeach()
  file(STRINGS "${config_dir}/tapegradTargets.cmake" exported REGEX "add_library\\(")
  foreach(target tapegrad::autodiff tapegrad::nn tapegrad::tapegrad)
    if(NOT exported MATCHES "add_library\\(${target} ")
      message(FATAL_ERROR "tapegradTargets.cmake does not define ${target}")
    endif()
  endforeach()
endfunction()

file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
set(configure)
if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORKDIR}/prefix")
  check_installed("${WORKDIR}/prefix")
  set(configure -DTAPEGRAD_CONSUMER_USE=find_package "-DCMAKE_PREFIX_PATH=${WORKDIR}/prefix")
elseif(MODE STREQUAL "deb")
  run(${CPACK_COMMAND} -G DEB --config "${BUILD_DIR}/CPackConfig.cmake" -B "${WORKDIR}/packages")
  file(GLOB deb "${WORKDIR}/packages/*.deb")
  list(LENGTH deb count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "cpack -G DEB made ${count} .deb files, not one: ${deb}")
  endif()
  run(dpkg-deb --field "${deb}" Package Depends)
  if(NOT output MATCHES "Package: tapegrad-dev" OR NOT output MATCHES "Depends: libeigen3-dev")
    message(FATAL_ERROR "${deb}: expected Package tapegrad-dev and Depends libeigen3-dev, found\n${output}")
  endif()
  run(dpkg-deb --extract "${deb}" "${WORKDIR}/root")
  check_installed("${WORKDIR}/root/usr")
  set(configure -DTAPEGRAD_CONSUMER_USE=find_package "-DCMAKE_PREFIX_PATH=${WORKDIR}/root/usr")
elseif(MODE STREQUAL "add_subdirectory" OR MODE STREQUAL "FetchContent")
  set(configure "-DTAPEGRAD_CONSUMER_USE=${MODE}" "-DTAPEGRAD_SOURCE_DIR=${SOURCE_DIR}")
else()
  message(FATAL_ERROR "MODE: '${MODE}' is not install, deb, add_subdirectory or FetchContent")
endif()

get_filename_component(consumer "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
if(PROJECT)
  set(consumer "${PROJECT}")
  list(FILTER configure EXCLUDE REGEX "^-DTAPEGRAD_CONSUMER_USE=")  # only this folder's project has that option
endif()
run(${CMAKE_COMMAND} -S "${consumer}" -B "${WORKDIR}/build" -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_CXX_FLAGS=${FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}" ${configure})
message(STATUS "${output}")
if(MODE STREQUAL "FetchContent")
  return()
endif()
run(${CMAKE_COMMAND} --build "${WORKDIR}/build")
# The consumer's own compile and link lines (Ninja writes them to build.ninja) name no Boost,
# benchmark or sanitizer (unless the consumer asked for one itself, under FLAGS); installed,
# no EIGEN_ setting either. (As a subproject tapegrad still hands its EIGEN_ setting on, to
# its own build's consumers, until the tape core makes it private.)
set(forbidden "[Bb]oost|benchmark|sanitize")
if(MODE STREQUAL "install" OR MODE STREQUAL "deb")
  string(APPEND forbidden "|EIGEN_")
endif()
if(EXISTS "${WORKDIR}/build/build.ninja" AND NOT FLAGS)
  file(STRINGS "${WORKDIR}/build/build.ninja" lines REGEX "^build |^  (FLAGS|DEFINES|INCLUDES|LINK_FLAGS|LINK_LIBRARIES) = ")
  set(in_app FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^build ")
      string(REGEX MATCH "^build (CMakeFiles/app\\.dir/|app:)" in_app "${line}")
    elseif(in_app AND line MATCHES "${forbidden}")
      message(FATAL_ERROR "the consumer's build line names '${CMAKE_MATCH_0}':\n${line}")
    endif()
  endforeach()
endif()
run("${WORKDIR}/build/app" WORKING_DIRECTORY "${WORKDIR}")
message(STATUS "${output}")
if(PROJECT)
  file(READ "${EXPECTED}" expected_output)
  if(NOT output STREQUAL expected_output)
    file(WRITE "${WORKDIR}/actual_output.txt" "${output}")
    message(FATAL_ERROR "${consumer}: its output differs from ${EXPECTED} (what it printed is in "
                        "${WORKDIR}/actual_output.txt):\n${output}")
  endif()
  if(PAGE)
    if(NOT EXISTS "${WORKDIR}/${PAGE}")
      message(FATAL_ERROR "${consumer}: app did not write ${PAGE}")
    endif()
    file(READ "${WORKDIR}/${PAGE}" page)
    # the variables the last step lists, and the words of that step
    foreach(expected "id=\"tape-data\"" "\"gradient\":\\[[0-9]" "The gradient is read off")
      if(NOT page MATCHES "${expected}")
        message(FATAL_ERROR "${consumer}: ${PAGE} has no '${expected}' (the sweep page's gradient step)")
      endif()
    endforeach()
  endif()
  return()
endif()
foreach(expected "d/dx x sin\\(x\\) at x = 1.5: tape [0-9.]+, by hand [0-9.]+ -> agree"
                 "nn: the article's start \\(seed 7\\): w1 = .* -> weights in")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "the consumer's output does not match '${expected}':\n${output}")
  endif()
endforeach()
