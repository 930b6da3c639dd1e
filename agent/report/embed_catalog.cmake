# cmake -DINPUT=errors.yaml -DOUTPUT=builtin_catalog.cc -P embed_catalog.cmake
# Writes BuiltinCatalogText() returning INPUT verbatim as a raw string literal.
file(READ ${INPUT} content)
string(FIND "${content}" ")nbcatalog\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )nbcatalog\"")
endif()
file(WRITE ${OUTPUT}.tmp
  "// Generated from ${INPUT} by embed_catalog.cmake. Do not edit.\n"
  "#include \"agent/report/catalog.h\"\n\n"
  "namespace nodeboot::report {\n\n"
  "std::string_view BuiltinCatalogText() {\n"
  "  static constexpr std::string_view kText = R\"nbcatalog(${content})nbcatalog\";\n"
  "  return kText;\n"
  "}\n\n"
  "}  // namespace nodeboot::report\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
