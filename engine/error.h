#pragma once
// Every error the engine raises for bad input is a dit::Error whose message a user can act on:
// it names the file, key or field at fault.
#include <stdexcept>
#include <string>

namespace dit {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Thrown when the caller's cancel flag is seen between steps or blocks.
struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("cancelled") {}
};

}  // namespace dit
