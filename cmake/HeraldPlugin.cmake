# herald_add_plugin(NAME SOURCES...): builds a Herald plugin as a loadable module named
# herald_NAME.so, with hidden symbols (only the entry point is exported) and no undefined symbols
# (plugins reach the host only through the host function table).
function(herald_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "herald_${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # In a sanitizer build (HERALD_BUILD_FUZZERS) the sanitizers' symbols come from the program
  # that loads the plugin, so they cannot be resolved when the plugin is linked.
  if(NOT HERALD_BUILD_FUZZERS)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  if(TARGET Herald::sdk)
    target_link_libraries(${name} PRIVATE Herald::sdk)
  else()
    target_link_libraries(${name} PRIVATE herald_sdk)
  endif()
endfunction()
