#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "socketio/http.hpp"

namespace socketio {

namespace fs = std::filesystem;

namespace {

std::string http_date(fs::file_time_type when) {
  // file_time_type's clock is not system_clock in C++17: convert via now().
  auto system = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      when - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
  std::time_t t = std::chrono::system_clock::to_time_t(system);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

bool is_within(const fs::path& root, const fs::path& candidate) {
  auto r = root.begin();
  auto c = candidate.begin();
  for (; r != root.end(); ++r, ++c) {
    if (c == candidate.end() || *r != *c) return false;
  }
  return true;
}

}  // namespace

StaticFiles::StaticFiles(fs::path root, std::string url_prefix) : prefix_(std::move(url_prefix)) {
  std::error_code ec;
  root_ = fs::weakly_canonical(root, ec);
  if (ec) root_ = fs::absolute(root);
  if (prefix_.empty() || prefix_.front() != '/') prefix_.insert(0, "/");
  if (prefix_.back() != '/') prefix_ += '/';
}

std::string StaticFiles::content_type(const fs::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},  {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},    {".json", "application/json"},
      {".map", "application/json"},           {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},              {".png", "image/png"},
      {".jpg", "image/jpeg"},                 {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                  {".ico", "image/x-icon"},
      {".webp", "image/webp"},                {".woff", "font/woff"},
      {".woff2", "font/woff2"},               {".wasm", "application/wasm"},
  };
  auto it = types.find(file.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

bool StaticFiles::serve(const HttpRequest& request, const HttpResponder& respond) const {
  if (request.method != "GET" && request.method != "HEAD") return false;
  const std::string& path = request.path;
  if (path.compare(0, prefix_.size(), prefix_) != 0 && path + "/" != prefix_) return false;
  std::string relative = path.size() > prefix_.size() ? path.substr(prefix_.size()) : std::string();
  if (relative.find('\0') != std::string::npos) return false;
  // Refuse any ".." segment outright, before the file system sees it.
  std::stringstream segments(relative);
  for (std::string segment; std::getline(segments, segment, '/');) {
    if (segment == "..") return false;
  }
  fs::path file = root_ / fs::path(relative).relative_path();
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "index.html";
  fs::path canonical = fs::weakly_canonical(file, ec);
  // Symlinks may still point outside the root: check where the file really is.
  if (ec || !is_within(root_, canonical) || !fs::is_regular_file(canonical, ec)) return false;

  auto size = fs::file_size(canonical, ec);
  if (ec) return false;
  auto modified = fs::last_write_time(canonical, ec);
  if (ec) return false;
  char etag[64];
  std::snprintf(etag, sizeof etag, "W/\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(modified.time_since_epoch().count()));

  HttpResponse response;
  response.headers = {{"ETag", etag}, {"Last-Modified", http_date(modified)}, {"Cache-Control", "no-cache"}};
  const std::string* if_none_match = request.header("if-none-match");
  if (if_none_match && *if_none_match == etag) {
    response.status = 304;
    respond(std::move(response));
    return true;
  }
  std::ifstream in(canonical, std::ios::binary);
  if (!in) return false;
  std::string body(size, '\0');
  in.read(body.data(), static_cast<std::streamsize>(size));
  body.resize(static_cast<std::size_t>(in.gcount()));
  response.headers.emplace_back("Content-Type", content_type(canonical));
  if (request.method == "HEAD") {
    response.headers.emplace_back("Content-Length", std::to_string(body.size()));
  } else {
    response.body = std::move(body);
  }
  respond(std::move(response));
  return true;
}

}  // namespace socketio
