# Save -> load -> predict reproduces the training program's predictions bit for bit:
# train_mlp --save and --predictions, then predict_mlp with the saved model on the same
# rows; the two CSV files (every number in its exact shortest form) must be identical.
# Also: the committed moons model and data sets are what the programs write today.
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
function(run)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORKDIR} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}: exit ${rc}: ${err}")
  endif()
endfunction()
function(same a b)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${a} ${b} RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "${a} and ${b} differ")
  endif()
endfunction()
foreach(loss log mse)
  run(${TRAIN} --data ${DATA}/moons.csv --target label --test ${DATA}/moons_test.csv --loss ${loss} --epochs 30
      --quiet --save ${loss}.json --predictions train_${loss}.csv)
  run(${PREDICT} --model ${loss}.json --data ${DATA}/moons.csv --output predict_${loss}.csv)
  same(${WORKDIR}/train_${loss}.csv ${WORKDIR}/predict_${loss}.csv)
endforeach()
# The committed model is what a GCC build writes, to the last bit (EXACT). A build by
# another compiler rounds some sums differently (clang 14: 315 of 348 numbers differ, by at
# most 1.3e-13 relative, after 30 epochs), so there each number must agree to 1e-9 relative.
if(EXACT)
  same(${WORKDIR}/log.json ${DATA}/moons_model.json)
elseif(PYTHON)
  run(${PYTHON} -c [=[
import json, sys
def numbers(x):
    if isinstance(x, dict): return [n for v in x.values() for n in numbers(v)]
    if isinstance(x, list): return [n for v in x for n in numbers(v)]
    return [x] if isinstance(x, (int, float)) and not isinstance(x, bool) else []
a, b = (json.load(open(f)) for f in sys.argv[1:3])
na, nb = numbers(a), numbers(b)
bad = [(x, y) for x, y in zip(na, nb) if abs(x - y) > 1e-9 * max(abs(x), abs(y), 1e-300)]
if len(na) != len(nb) or bad or a.keys() != b.keys():
    sys.exit("models differ: %d and %d numbers, %d apart by more than 1e-9, first %s" % (len(na), len(nb), len(bad), bad[:1]))
]=] ${WORKDIR}/log.json ${DATA}/moons_model.json)
else()
  message(STATUS "no python3: the committed model is not compared under this compiler")
endif()
foreach(set moons:1 moons_test:2)
  string(REPLACE ":" ";" parts ${set})
  list(GET parts 0 name)
  list(GET parts 1 seed)
  run(${MAKE_DATASET} moons --rows 1000 --noise 0.1 --seed ${seed} --output ${name}.csv)
  same(${WORKDIR}/${name}.csv ${DATA}/${name}.csv)
  run(${MAKE_DATASET} friedman1 --rows 1000 --noise 1.0 --seed ${seed} --output f_${name}.csv)
endforeach()
same(${WORKDIR}/f_moons.csv ${DATA}/friedman1.csv)
same(${WORKDIR}/f_moons_test.csv ${DATA}/friedman1_test.csv)
