#pragma once
// The arguments of an event or acknowledgement, in order.
//
// A distinct type (not a plain std::vector<Json>) so that an event handler
// parameter of type Args means "all arguments", while std::vector<Json>
// means "the next argument, which is an array".
// Value type; no thread-safety of its own.

#include <vector>

#include "socketio/json.hpp"

namespace socketio {

class Args : public std::vector<Json> {
 public:
  using std::vector<Json>::vector;
  Args() = default;
  explicit Args(std::vector<Json> values) : std::vector<Json>(std::move(values)) {}
};

}  // namespace socketio
