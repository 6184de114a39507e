# The snippet check must fail when a chapter drifts from its sources: copy the chapters,
# change one line inside a code block, one inside an output block, and one inside an
# output block indented in a list, one in a CMake block ("# [name]" markers) and one in an
# output block shown from a file, and expect --check to name all five and exit 1.
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
file(GLOB chapters ${DOCS}/*.md)
file(COPY ${chapters} DESTINATION ${WORKDIR})
file(READ ${WORKDIR}/04-the-tape.md text)
string(REPLACE "tape.gradient(loss);  // one reverse sweep" "tape.gradient(loss); // edited by hand" text "${text}")
file(WRITE ${WORKDIR}/04-the-tape.md "${text}")
file(READ ${WORKDIR}/02-forward-propagation.md text)
string(REPLACE "RMSE = sqrt(MSE)       = 5.736348" "RMSE = sqrt(MSE)       = 5.7" text "${text}")
file(WRITE ${WORKDIR}/02-forward-propagation.md "${text}")
file(READ ${WORKDIR}/05-checking-gradients.md text)
string(REPLACE "  The tape's gradient is NOT verified" "  The tape's gradient is verified" text "${text}")
file(WRITE ${WORKDIR}/05-checking-gradients.md "${text}")
file(READ ${WORKDIR}/your-own-program.md text)
string(REPLACE "# Linking one brings its include path" "# Linking brings its include path" text "${text}")
string(REPLACE "dloss/dage = -6.70297 (a constant's adjoint)" "dloss/dage = -6.7 (a constant's adjoint)" text "${text}")
file(WRITE ${WORKDIR}/your-own-program.md "${text}")
execute_process(COMMAND ${PYTHON} ${DOCS}/snippets.py --check --docs ${WORKDIR}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "snippets.py --check exited ${rc} on drifted chapters, expected 1\n${out}${err}")
endif()
foreach(expected "04-the-tape.md:[0-9]+: the block after 'examples/ch4_record_expression.cpp#sweep'"
                 "02-forward-propagation.md:[0-9]+: the block after 'ch2_forward_pass'"
                 "05-checking-gradients.md:[0-9]+: the block after 'verify_gradients.relu_kink'"
                 "your-own-program.md:[0-9]+: the block after 'examples/your_program/CMakeLists.txt#cmake'"
                 "your-own-program.md:[0-9]+: the block after 'examples/your_program/expected_output.txt'"
                 "5 block[(]s[)] out of date")
  if(NOT err MATCHES "${expected}")
    message(FATAL_ERROR "snippets.py --check did not report '${expected}':\n${err}")
  endif()
endforeach()
