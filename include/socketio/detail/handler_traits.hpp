#pragma once
// Adapts a user's event handler to the arguments of an event, by looking at
// the handler's parameter types:
//   SocketPtr  -> the socket the event came from
//   Ack        -> the acknowledgement (a no-op one if none was asked for)
//   Args       -> all the event's arguments
//   Json       -> the next argument as is
//   any T      -> the next argument converted with from_json (a missing
//                 argument converts from null; a mismatch throws JsonTypeError)

#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "socketio/ack.hpp"
#include "socketio/args.hpp"
#include "socketio/fwd.hpp"
#include "socketio/json.hpp"

namespace socketio::detail {

template <class F>
struct callable_traits : callable_traits<decltype(&std::decay_t<F>::operator())> {};
template <class R, class... P>
struct callable_traits<R (*)(P...)> {
  using params = std::tuple<P...>;
};
template <class R, class... P>
struct callable_traits<R(P...)> {
  using params = std::tuple<P...>;
};
template <class C, class R, class... P>
struct callable_traits<R (C::*)(P...) const> {
  using params = std::tuple<P...>;
};
template <class C, class R, class... P>
struct callable_traits<R (C::*)(P...)> {
  using params = std::tuple<P...>;
};

template <class P>
constexpr bool is_injected_v = std::is_same_v<std::decay_t<P>, SocketPtr> || std::is_same_v<std::decay_t<P>, Ack> ||
                               std::is_same_v<std::decay_t<P>, Args>;

/// How many event arguments the parameters before position I consume.
template <class Params, std::size_t... J>
constexpr std::size_t argument_index(std::index_sequence<J...>) {
  return (std::size_t{0} + ... + (is_injected_v<std::tuple_element_t<J, Params>> ? 0 : 1));
}

/// What a missing argument reads as.
inline const Json& missing_argument() {
  static const Json null;
  return null;
}

template <class P>
decltype(auto) make_param(const SocketPtr& socket, Args& args, Ack& ack, std::size_t index) {
  using T = std::decay_t<P>;
  if constexpr (std::is_same_v<T, SocketPtr>) {
    return socket;
  } else if constexpr (std::is_same_v<T, Ack>) {
    return std::move(ack);
  } else if constexpr (std::is_same_v<T, Args>) {
    return static_cast<const Args&>(args);
  } else if constexpr (std::is_same_v<T, Json>) {
    return index < args.size() ? static_cast<const Json&>(args[index]) : static_cast<const Json&>(missing_argument());
  } else {
    const Json& value = index < args.size() ? args[index] : missing_argument();
    return value.template get<T>();
  }
}

template <class F, class Params, std::size_t... I>
void invoke_handler(F& f, const SocketPtr& socket, Args& args, Ack& ack, std::index_sequence<I...>) {
  f(make_param<std::tuple_element_t<I, Params>>(socket, args, ack,
                                                 argument_index<Params>(std::make_index_sequence<I>{}))...);
}

/// The type-erased form every handler is stored as.
using EventHandler = std::function<void(const SocketPtr&, Args&, Ack&)>;

template <class F>
EventHandler adapt_handler(F&& f) {
  using Params = typename callable_traits<std::decay_t<F>>::params;
  return [f = std::forward<F>(f)](const SocketPtr& socket, Args& args, Ack& ack) mutable {
    invoke_handler<std::decay_t<F>, Params>(f, socket, args, ack,
                                            std::make_index_sequence<std::tuple_size_v<Params>>{});
  };
}

}  // namespace socketio::detail
