// switchyard: the orchestrator and server. Spawns one switchyard-worker per core, serves HTTP.

#include <spdlog/spdlog.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>

#include "control/server/AccessToken.hpp"
#include "control/server/Server.hpp"
#include "control/server/ServerConfig.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 64;

void printDevBanner(const switchyard::control::ServerConfig& c) {
  spdlog::warn("================================================================");
  spdlog::warn(" DEVELOPMENT MODE: not for production");
  spdlog::warn(" Open access: publishing and viewing need no token from loopback");
  spdlog::warn(" API key:    {}", switchyard::control::kDevApiKey);
  spdlog::warn(" API secret: {}", switchyard::control::kDevApiSecret);
  spdlog::warn(" Demo page:  http://{}:{}/", c.httpHost, c.httpPort);
  spdlog::warn("================================================================");
}

}  // namespace

int main(int argc, char* argv[]) {
  using namespace switchyard::control;
  // `switchyard token ...` mints an access token and exits.
  if (argc >= 2 && std::string_view(argv[1]) == "token") {
    return runTokenCommand(argc - 1, argv + 1, std::cout, std::cerr);
  }
  auto parsed = parseServerCommandLine(argc, argv);
  if (auto* info = std::get_if<ConfigInfo>(&parsed)) {
    std::fputs(info->text.c_str(), stdout);
    return kExitOk;
  }
  if (auto* error = std::get_if<ConfigError>(&parsed)) {
    std::fprintf(stderr, "switchyard: %s\n(see switchyard --help)\n", error->message.c_str());
    return kExitUsage;
  }
  const auto& config = std::get<ServerConfig>(parsed);
  spdlog::set_level(spdlog::level::from_str(config.logLevel));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [switchyard] %l: %v");
  if (config.dev) printDevBanner(config);
  std::signal(SIGPIPE, SIG_IGN);

  uv_loop_t loop;
  uv_loop_init(&loop);
  int code = kExitOk;
  {
    Server server(&loop, config);
    uv_signal_t sigterm, sigint;
    uv_signal_init(&loop, &sigterm);
    uv_signal_init(&loop, &sigint);
    struct Ctx {
      Server* server;
      uv_signal_t* signals[2];
    } ctx{&server, {&sigterm, &sigint}};
    sigterm.data = sigint.data = &ctx;
    auto onSignal = [](uv_signal_t* h, int signum) {
      auto* c = static_cast<Ctx*>(h->data);
      spdlog::info("received {}", signum == SIGTERM ? "SIGTERM" : "SIGINT");
      for (auto* s : c->signals)
        uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
      c->server->stop(nullptr);
    };
    uv_signal_start(&sigterm, onSignal, SIGTERM);
    uv_signal_start(&sigint, onSignal, SIGINT);

    if (auto err = server.start()) {
      spdlog::error("{}", *err);
      code = kExitRuntimeError;
      for (auto* s : ctx.signals)
        uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
      server.stop(nullptr);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // handles closed by destructors
  if (uv_loop_close(&loop) != 0) spdlog::warn("libuv handles left open at exit");
  spdlog::info("switchyard exited");
  return code;
}
