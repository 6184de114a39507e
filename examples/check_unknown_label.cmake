# predict_mlp with a classifier on data whose target column holds a label the model never
# saw: exit 2, the file, line, column and label named, and no prediction file written.
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
execute_process(COMMAND ${TRAIN} --data ${DATA}/iris.csv --target species --loss cross-entropy --epochs 2 --quiet
                        --save iris.json WORKING_DIRECTORY ${WORKDIR} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "train_mlp: exit ${rc}: ${err}")
endif()
execute_process(COMMAND ${PREDICT} --model iris.json --data ${DATA}/bad/iris_unknown_label.csv --output p.csv
                WORKING_DIRECTORY ${WORKDIR} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
set(want "--data: .*iris_unknown_label.csv:5:17: label 'virginia' in column 'species' is not a class of the model")
if(NOT rc EQUAL 2 OR NOT err MATCHES "${want}" OR EXISTS ${WORKDIR}/p.csv OR NOT out STREQUAL "")
  message(FATAL_ERROR "predict_mlp: exit ${rc}, stderr '${err}', p.csv written: want exit 2, '${want}', no file")
endif()
