// Registers a Catch2 test case at run time (the op case tables become tests before the session
// starts): Catch2 v2's AutoReg with an invoker that holds a closure.
#pragma once
#include <catch2/catch.hpp>

#include <functional>
#include <string>

namespace oc::test {

inline void register_test(const std::string& name, const std::string& tags, std::function<void()> body) {
  struct Invoker : Catch::ITestInvoker {
    std::function<void()> body;
    explicit Invoker(std::function<void()> b) : body(std::move(b)) {}
    void invoke() const override { body(); }
  };
  Catch::AutoReg(new Invoker(std::move(body)), CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
                 Catch::NameAndTags(name, tags));
}

}  // namespace oc::test
