# Warnings for the project's own targets (not for generated or third-party code).
add_library(switchyard_warnings INTERFACE)
target_compile_options(switchyard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
option(SWITCHYARD_WERROR "Treat warnings as errors" OFF)
if(SWITCHYARD_WERROR)
  target_compile_options(switchyard_warnings INTERFACE -Werror)
endif()
