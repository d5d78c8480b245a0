#pragma once
// Plain HTTP beside the engine, on the same port: requests whose path is not
// the engine's go to a handler of the host application (pages, a REST API),
// which answers now or later. StaticFiles serves a directory.
//
//   server.on_http_request([files = socketio::StaticFiles("public")](
//       const socketio::HttpRequest& request, socketio::HttpResponder respond) {
//     if (!files.serve(request, respond)) respond({404, {}, "Not Found"});
//   });
//
// Threading: the handler may run on any io_context thread, several at once
// for different connections. HttpResponder may be called from any thread,
// exactly once (later calls do nothing; dropping it unanswered sends 500).

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace socketio {

struct HttpRequest {
  std::string method;  ///< "GET", "POST", ...
  std::string url;     ///< path and query as sent
  std::string path;    ///< percent-decoded path
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::map<std::string, std::string> query;
  std::string body;
  std::string remote_address;

  /// The header's value, or nullptr. `name` must be lower-case.
  const std::string* header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

using HttpResponder = std::function<void(HttpResponse response)>;
using HttpHandler = std::function<void(const HttpRequest& request, HttpResponder respond)>;

/// Serves the files below a directory: GET and HEAD only, Content-Type from
/// the file extension, ETag and Last-Modified with 304 for conditional
/// requests, `index.html` for directories, and nothing outside the root
/// (".." segments, symlinks leaving it, NUL bytes are refused).
/// Thread-safe (immutable after construction).
class StaticFiles {
 public:
  /// `url_prefix` is where the directory is mounted ("/" or "/assets/").
  explicit StaticFiles(std::filesystem::path root, std::string url_prefix = "/");

  /// Answers `request` if it names a file below the root and returns true;
  /// returns false (and does not call `respond`) otherwise.
  bool serve(const HttpRequest& request, const HttpResponder& respond) const;

  /// The Content-Type for a file name, by extension.
  static std::string content_type(const std::filesystem::path& file);

 private:
  std::filesystem::path root_;
  std::string prefix_;
};

}  // namespace socketio
