# cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=name -DNAMESPACE=ns -P EmbedFile.cmake
# Writes a C++ source holding the file's bytes as a std::string_view, so the binary serves
# its web assets without needing the source tree at run time.
file(READ ${INPUT} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE ${OUTPUT} "#include <string_view>\nnamespace ${NAMESPACE} {\nnamespace {\nconstexpr char kData[] = {${bytes}};\n}\nextern const std::string_view ${SYMBOL}(kData, sizeof(kData));\n}\n")
