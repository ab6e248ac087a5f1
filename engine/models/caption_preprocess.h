#pragma once
// The prompt text diffusers' PixArt and Sana pipelines hand their tokenizers: lower-cased and
// stripped of surrounding whitespace (their optional caption cleaning, which needs bs4 and ftfy,
// does that and more). ASCII only: bytes of multi-byte UTF-8 characters pass unchanged.
#include <string>

namespace dit {

std::string caption_preprocess(const std::string& text);

}  // namespace dit
