# Many classes end to end (issue 26): train_mlp --loss cross-entropy --save --predictions,
# then predict_mlp with the saved model. On the training rows its file must equal
# train_mlp's byte for byte (the classes written as the training data wrote them: words
# for iris, numbers for wine), and on the test rows the accuracy it reports must be the
# test accuracy train_mlp printed. In a GCC build (EXACT) the iris model is also the one
# committed for chapter 7, examples/data/iris_model.json, to the last bit; another compiler
# rounds some sums differently, and there it is not compared.
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
function(run out_var)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORKDIR} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}: exit ${rc}: ${err}")
  endif()
  set(${out_var} "${out}${err}" PARENT_SCOPE)
endfunction()
foreach(set iris:species:setosa wine:cultivar:0)
  string(REPLACE ":" ";" parts ${set})
  list(GET parts 0 name)
  list(GET parts 1 target)
  list(GET parts 2 first_class)
  run(trained ${TRAIN} --data ${DATA}/${name}.csv --target ${target} --test ${DATA}/${name}_test.csv
      --loss cross-entropy --quiet --save ${name}.json --predictions train_${name}.csv)
  run(ignored ${PREDICT} --model ${name}.json --data ${DATA}/${name}.csv --output predict_${name}.csv)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORKDIR}/train_${name}.csv
                  ${WORKDIR}/predict_${name}.csv RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "${name}: predict_mlp's predictions differ from train_mlp's")
  endif()
  file(STRINGS ${WORKDIR}/predict_${name}.csv lines LIMIT_COUNT 2)
  list(GET lines 1 row)
  if(NOT row MATCHES "^${first_class},")
    message(FATAL_ERROR "${name}: the first row's class is not written '${first_class}': ${row}")
  endif()
  run(predicted ${PREDICT} --model ${name}.json --data ${DATA}/${name}_test.csv --output test_${name}.csv)
  string(REGEX MATCH "test accuracy ([0-9.]+%)" found "${trained}")
  set(want ${CMAKE_MATCH_1})
  string(REGEX MATCH "accuracy ([0-9.]+%) on the" found "${predicted}")
  if(NOT want OR NOT CMAKE_MATCH_1 STREQUAL want)
    message(FATAL_ERROR "${name}: train_mlp's test accuracy is '${want}', predict_mlp's '${CMAKE_MATCH_1}'")
  endif()
  message(STATUS "${name}: test accuracy ${want} from both programs")
endforeach()
if(EXACT)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORKDIR}/iris.json ${DATA}/iris_model.json
                  RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "the committed ${DATA}/iris_model.json is not what train_mlp writes today")
  endif()
endif()
