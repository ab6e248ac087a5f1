// A tokenizer file (SentencePiece's protobuf) through the Gemma and T5 tokenizers: the checks
// that tell a truncated or foreign file from a model, then encoding, the Sana prompt handling
// and T5's padding with whatever pieces and special ids the file defines.
#include "engine/models/gemma2/gemma_tokenizer.h"
#include "engine/models/gemma2/sana_prompt.h"
#include "engine/models/t5/t5_tokenizer.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = dit::fuzz::write_input("tokenizer.model", data, size);
    const std::string text = "A Café ☕ with 3 \xF0\x9F\x90\x88 cats\n\tand tabs";
    dit::fuzz::expect_clean([&] {
        const auto tok = dit::GemmaTokenizer::load(path);
        dit::fuzz::expect_clean([&] { (void)tok.encode(text, 16); });
        dit::fuzz::expect_clean([&] {
            dit::SanaPromptOptions options;
            options.max_sequence_length = 8;
            (void)dit::tokenize_sana_prompt(tok, text, options);
            (void)dit::tokenize_sana_negative(tok, "", 8);
        });
    });
    dit::fuzz::expect_clean([&] {
        const auto tok = dit::T5Tokenizer::load(path);
        dit::fuzz::expect_clean([&] { (void)tok.encode(text, 16); });
    });
    return 0;
}
