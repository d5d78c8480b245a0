#pragma once
// HS256 JSON Web Tokens (RFC 7519 / RFC 7515, compact serialization), just
// what the notifications example needs: verify the token a client sends as
// its handshake auth, and mint one for the demo page.
//
// The HMAC is OpenSSL's (EVP_MAC "HMAC" with SHA-256) and the signature is
// compared with CRYPTO_memcmp; nothing cryptographic is implemented here.
// Everything is a pure function of its arguments: safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace notifications::jwt {

/// Why a token was refused. Only `expired` is reported to clients as
/// "token expired"; everything else is "invalid token".
enum class Error {
  none,
  malformed,        ///< not three base64url parts, or a part is not a JSON object
  bad_algorithm,    ///< header "alg" is not exactly "HS256" (also "none"), or "crit" is present
  bad_signature,    ///< the HMAC does not match
  missing_subject,  ///< "sub" is missing, not a string, empty or too long
  missing_expiry,   ///< "exp" is missing or not a number
  not_yet_valid,    ///< "nbf" is in the future
  expired,          ///< now >= "exp"
};

/// A short English description ("bad signature", ...).
const char* describe(Error error) noexcept;

struct Verified {
  Error error = Error::none;
  std::string subject;  ///< "sub" when error == none
  std::int64_t expires_at = 0;
  explicit operator bool() const noexcept { return error == Error::none; }
};

/// Checks `token` against `secret`: exactly three parts, header alg HS256,
/// signature (constant-time), then the claims: sub a non-empty string of at
/// most 256 bytes, exp a number with now < exp, nbf (if present) <= now.
/// `now` is seconds since the Unix epoch.
Verified verify(std::string_view token, std::string_view secret, std::int64_t now);

/// A token {"alg":"HS256","typ":"JWT"}.{"sub":subject,"iat":now,"exp":expires_at}
/// signed with `secret`.
std::string sign(std::string_view subject, std::string_view secret, std::int64_t now, std::int64_t expires_at);

/// Base64url without padding (RFC 4648 section 5), as JWS uses it.
std::string base64url_encode(std::string_view bytes);
/// Strict decoding: only the base64url alphabet, no padding, no whitespace,
/// no impossible length, and the unused low bits of the last character must
/// be zero (so every byte string has exactly one accepted encoding).
std::optional<std::string> base64url_decode(std::string_view text);

/// HMAC-SHA-256 of `data` with `key` (32 bytes), through OpenSSL.
/// Throws std::runtime_error if OpenSSL fails.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Constant-time equality for secrets of equal length (CRYPTO_memcmp);
/// different lengths compare unequal.
bool equal_secrets(std::string_view a, std::string_view b) noexcept;

}  // namespace notifications::jwt
