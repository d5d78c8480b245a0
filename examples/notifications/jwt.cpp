#include "jwt.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "socketio/json.hpp"

namespace notifications::jwt {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kMaxTokenSize = 8192;
constexpr std::size_t kMaxSubjectSize = 256;
constexpr std::size_t kSha256Size = 32;

/// The 6-bit value of a base64url character, or -1.
int sextet(unsigned char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

/// A JSON object from base64url text, or nullopt.
std::optional<socketio::Json> decode_object(std::string_view part) {
  auto text = base64url_decode(part);
  if (!text) return std::nullopt;
  std::error_code ec;
  socketio::Json value = socketio::Json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return value;
}

struct MacDeleter {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};

}  // namespace

const char* describe(Error error) noexcept {
  switch (error) {
    case Error::none: return "ok";
    case Error::malformed: return "malformed token";
    case Error::bad_algorithm: return "unsupported algorithm (only HS256)";
    case Error::bad_signature: return "bad signature";
    case Error::missing_subject: return "no subject";
    case Error::missing_expiry: return "no expiry";
    case Error::not_yet_valid: return "not yet valid";
    case Error::expired: return "expired";
  }
  return "invalid";
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
    out += kAlphabet[group & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t group = byte(i) << 16;
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
  } else if (rest == 2) {
    std::uint32_t group = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  // 4 characters carry 3 bytes; a trailing group of 1 character is impossible.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;  // pending bits, most significant first
  int count = 0;           // how many pending bits
  for (char ch : text) {
    int v = sextet(static_cast<unsigned char>(ch));
    if (v < 0) return std::nullopt;  // '=' padding, whitespace, '+', '/', ... are all refused
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
    bits &= (1u << count) - 1;  // keep only the bits not yet emitted
  }
  // Left-over bits (2 or 4) must be zero, or two texts would decode alike.
  if (bits != 0) return std::nullopt;
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) throw std::runtime_error("OpenSSL: no HMAC implementation");
  std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) throw std::runtime_error("OpenSSL: EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // A non-null pointer even for an empty key: EVP_MAC_init treats a null key
  // as "keep the previous key", and there is none.
  static const unsigned char empty = 0;
  const auto* key_bytes = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t length = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1 || length != kSha256Size) {
    throw std::runtime_error("OpenSSL: HMAC-SHA256 final failed");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

bool equal_secrets(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Verified verify(std::string_view token, std::string_view secret, std::int64_t now) {
  Verified result;
  auto fail = [&result](Error error) {
    result.error = error;
    result.subject.clear();
    return result;
  };
  if (token.empty() || token.size() > kMaxTokenSize) return fail(Error::malformed);

  // header.payload.signature: exactly two dots.
  auto first = token.find('.');
  if (first == std::string_view::npos) return fail(Error::malformed);
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return fail(Error::malformed);
  }
  std::string_view header_part = token.substr(0, first);
  std::string_view payload_part = token.substr(first + 1, second - first - 1);
  std::string_view signature_part = token.substr(second + 1);
  if (header_part.empty() || payload_part.empty()) return fail(Error::malformed);

  // The header decides the algorithm, and only HS256 is accepted: never
  // "none", never another algorithm the key could be confused with.
  // Read-only views throughout: the non-const operator[] would insert missing
  // members and invalidate pointers taken before.
  const std::optional<socketio::Json> header = decode_object(header_part);
  if (!header) return fail(Error::malformed);
  const std::string* alg = (*header)["alg"].if_string();
  if (!alg || *alg != "HS256") return fail(Error::bad_algorithm);
  // RFC 7515 4.1.11: extensions we would have to understand; we understand none.
  if (header->contains("crit")) return fail(Error::bad_algorithm);

  // The signature, before looking at any claim.
  auto signature = base64url_decode(signature_part);
  if (!signature || signature->size() != kSha256Size) return fail(Error::bad_signature);
  std::string expected = hmac_sha256(secret, token.substr(0, second));
  if (!equal_secrets(*signature, expected)) return fail(Error::bad_signature);

  const std::optional<socketio::Json> claims = decode_object(payload_part);
  if (!claims) return fail(Error::malformed);

  const std::string* sub = (*claims)["sub"].if_string();
  if (!sub || sub->empty() || sub->size() > kMaxSubjectSize) return fail(Error::missing_subject);

  const socketio::Json& exp = (*claims)["exp"];
  if (!exp.is_number()) return fail(Error::missing_expiry);
  double expires = exp.as_double();
  if (std::isnan(expires)) return fail(Error::missing_expiry);
  // RFC 7519 4.1.4: not accepted on or after the expiration time.
  if (static_cast<double>(now) >= expires) return fail(Error::expired);

  const socketio::Json& nbf = (*claims)["nbf"];
  if (!nbf.is_null()) {
    if (!nbf.is_number()) return fail(Error::malformed);
    if (static_cast<double>(now) < nbf.as_double()) return fail(Error::not_yet_valid);
  }

  result.subject = *sub;
  constexpr double max_seconds = static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2);
  result.expires_at = expires >= max_seconds ? static_cast<std::int64_t>(max_seconds)
                                             : static_cast<std::int64_t>(expires);
  return result;
}

std::string sign(std::string_view subject, std::string_view secret, std::int64_t now, std::int64_t expires_at) {
  socketio::Json header = socketio::Json::object({{"alg", "HS256"}, {"typ", "JWT"}});
  socketio::Json claims =
      socketio::Json::object({{"sub", std::string(subject)}, {"iat", now}, {"exp", expires_at}});
  std::string signing_input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  std::string signature = hmac_sha256(secret, signing_input);
  return signing_input + "." + base64url_encode(signature);
}

}  // namespace notifications::jwt
