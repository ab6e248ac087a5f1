#pragma once
// dit-cli's progress line on stderr, redrawn in place with "\r". It remembers whether a line is
// open (drawn, not yet ended), so whatever prints next (a note, an error) starts on a line of its
// own without an empty line before it: errors used to print "\n" unconditionally and so began
// with an empty line whenever no progress had been drawn.
namespace dit::cli {

// "\r" + the formatted text; the line stays open. Thread-safe.
void status_line(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Ends the open line with a newline; nothing when none is open.
void end_status_line();

}  // namespace dit::cli
