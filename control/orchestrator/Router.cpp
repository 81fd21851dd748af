#include "control/orchestrator/Router.hpp"

#include "control/orchestrator/ResponseReaders.hpp"
#include "control/orchestrator/Worker.hpp"

namespace switchyard::control {

void Router::dump(Callback<RouterDump> cb) {
  auto w = worker_.lock();
  if (!w) return cb(Error{ErrorKind::kChannelClosed, "the router's worker is gone"});
  w->channel().request(fbs::request::Method::ROUTER_DUMP, id_, {},
                       [cb = std::move(cb)](const Error* e, const fbs::response::Response* r) {
                         if (e) return cb(*e);
                         const auto* body = r->body_as_Router_DumpResponse();
                         if (!body) return cb(Error{ErrorKind::kBadResponse, "no DumpResponse"});
                         cb(readRouterDump(*body));
                       });
}

void Router::close(Callback<void> cb) {
  auto w = worker_.lock();
  if (!w || closed_) {
    if (cb) cb(Result<void>());
    return;
  }
  closed_ = true;
  w->channel().request(
      fbs::request::Method::WORKER_CLOSE_ROUTER, "",
      [&](flatbuffers::FlatBufferBuilder& b) {
        auto body = fbs::worker::CreateCloseRouterRequestDirect(b, id_.c_str());
        return std::pair{fbs::request::Body::Worker_CloseRouterRequest, body.Union()};
      },
      [cb = std::move(cb)](const Error* e, const fbs::response::Response*) {
        if (!cb) return;
        if (e) return cb(*e);
        cb(Result<void>());
      });
}

}  // namespace switchyard::control
