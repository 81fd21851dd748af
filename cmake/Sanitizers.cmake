# -DSANITIZE=address,undefined instruments every target of the build.
if(SANITIZE)
  message(STATUS "Sanitizers: ${SANITIZE}")
  add_compile_options(-fsanitize=${SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${SANITIZE})
endif()
