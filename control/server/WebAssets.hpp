#pragma once
// Web pages compiled into the server from control/server/web/ (see cmake/EmbedFile.cmake).

#include <string_view>

namespace switchyard::control {

extern const std::string_view kIndexHtml;

}  // namespace switchyard::control
