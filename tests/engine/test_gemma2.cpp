// Gemma-2 (the Sana text encoder), its SentencePiece tokenizer and the Sana pipeline's prompt
// handling against tools/reference/gemma2.py on the tiny random model and tokenizer of
// tests/fixtures/gemma2 (made by tools/reference/make_gemma2_fixture.py), on the reference, fast
// and isolated backends; plus the loaders' errors for broken configs and tokenizer files.
//
// Tolerance for hidden states: max |got - want| <= 1e-4 * max(1, max |want|) against the
// float64 reference (f32 through 3 layers lands near 1e-6). Token ids must match exactly.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/io/weights.h"
#include "engine/models/gemma2/gemma2_model.h"
#include "engine/models/gemma2/gemma_tokenizer.h"
#include "engine/models/gemma2/sana_prompt.h"
#include "kernels/cpu/ops.h"
#include "tests/common/test_helpers.h"
#include "tests/engine/loader_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "gemma2";
constexpr int kMaxSequenceLength = 10;

Tensor expected(const std::string& name) { return read_npy(kDir / (name + ".npy")); }

std::vector<int32_t> ints(const Tensor& t, int64_t begin = 0, int64_t count = -1) {
    if (count < 0) count = t.numel() - begin;
    std::vector<int32_t> out;
    for (int64_t i = begin; i < begin + count; ++i) out.push_back(static_cast<int32_t>(std::lround(t[i])));
    return out;
}

std::vector<std::string> prompts() {
    std::ifstream in(kDir / "prompts.json");
    return nlohmann::json::parse(in).get<std::vector<std::string>>();
}

// The suite's tolerance for hidden states against the float64 reference.
double tolerance(const Tensor& want) { return 1e-4 * std::max(1.0, max_abs(want)); }

std::vector<kernels::Backend*> backends() { return {&kernels::reference(), &kernels::fast(), &kernels::isolated()}; }

// A copy of the fixture text encoder with its config and tensors edited.
fs::path variant(const QTemporaryDir& tmp, const std::function<void(nlohmann::json&)>& edit_config,
                 const std::function<void(std::map<std::string, Tensor>&)>& edit_tensors = {}) {
    return edited_component(kDir / "text_encoder", fs::path(tmp.path().toStdString()) / "text_encoder",
                            "model.safetensors", edit_config, edit_tensors);
}

}  // namespace

class TestGemma2 : public QObject {
    Q_OBJECT

private slots:
    // --- tokenizer ---------------------------------------------------------------------------

    void tokenizer_matches_sentencepiece() {
        // Python sentencepiece's ids, byte-fallback pieces (<0xNN>, ids 4..259) included.
        const auto tok = GemmaTokenizer::load(kDir / "tokenizer");
        QCOMPARE(tok.bos_id(), 2);
        QCOMPARE(tok.pad_id(), 0);
        const Tensor table = expected("pieces");
        const auto texts = prompts();
        QCOMPARE(int64_t(texts.size()), table.dim(0));
        int byte_pieces = 0;
        for (size_t i = 0; i < texts.size(); ++i) {
            std::vector<int32_t> want = ints(table, int64_t(i) * table.dim(1), table.dim(1));
            while (!want.empty() && want.back() < 0) want.pop_back();
            const std::vector<int> got = tok.pieces(texts[i]);
            QCOMPARE(std::vector<int32_t>(got.begin(), got.end()), want);
            for (int id : got) byte_pieces += id >= 4 && id < 260;
            QCOMPARE(tok.count_tokens(texts[i]), int(want.size()) + 1);
        }
        QVERIFY(byte_pieces > 10);
    }

    void tokenizer_pads_and_truncates() {
        const auto tok = GemmaTokenizer::load(kDir / "tokenizer" / "tokenizer.model");
        const Tensor ids = expected("batch_ids"), mask = expected("batch_mask");
        const auto texts = prompts();
        for (int b = 0; b < 2; ++b) {
            std::string text = texts[size_t(b)];  // the reference lower-cases and strips
            std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
            const TokenizedPrompt t = tok.encode(text, 24);
            QCOMPARE(t.ids, ints(ids, b * 24, 24));
            QCOMPARE(t.mask, ints(mask, b * 24, 24));
        }
        const TokenizedPrompt cut = tok.encode(texts[1], 5);  // <bos> + 4 pieces
        QVERIFY(cut.truncated);
        QCOMPARE(cut.length, 5);
        QCOMPARE(cut.ids.front(), 2);
        QVERIFY(error_of([&] { tok.encode("x", 0); }).find("max_length") != std::string::npos);
    }

    // --- Gemma2Model --------------------------------------------------------------------------

    void forward_matches_reference() {
        // Two prompts padded to 24 tokens: the sliding window (4) and padding both apply.
        const std::vector<int32_t> ids = ints(expected("batch_ids")), mask = ints(expected("batch_mask"));
        for (kernels::Backend* ops : backends()) {
            const auto model = Gemma2Model::load(kDir / "text_encoder", *ops);
            QCOMPARE(model->config().num_key_value_heads, 2);
            const Tensor want = expected("batch_hidden");
            EXPECT_CLOSE(qPrintable(QString("Gemma-2 forward on %1").arg(ops->name())),
                         model->forward(ids, mask, 2, 24, *ops), want, tolerance(want));
        }
    }

    void forward_refuses_bad_ids() {
        const auto model = Gemma2Model::load(kDir / "text_encoder");
        QVERIFY(error_of([&] { model->forward({2, 9999}, {1, 1}, 1, 2, kernels::fast()); }).find("vocabulary") !=
                std::string::npos);
        QVERIFY(error_of([&] { model->forward({2}, {1, 1}, 1, 2, kernels::fast()); }).find("expected 2 ids") !=
                std::string::npos);
    }

    // --- the Sana pipeline's prompt handling -----------------------------------------------

    void sana_prompt_selects_rows() {
        const auto tok = GemmaTokenizer::load(kDir / "tokenizer");
        SanaPromptOptions options;
        options.max_sequence_length = kMaxSequenceLength;
        const SanaPromptTokens t = tokenize_sana_prompt(tok, prompts()[0], options);
        QCOMPARE(t.ids, ints(expected("sana_ids")));
        QCOMPARE(t.mask, ints(expected("sana_mask")));
        QCOMPARE(t.select, ints(expected("sana_select")));
        QCOMPARE(int(t.select.size()), kMaxSequenceLength);
        QVERIFY(t.truncated);  // the instruction leaves 8 tokens to the prompt
        for (kernels::Backend* ops : backends()) {
            const auto model = Gemma2Model::load(kDir / "text_encoder", *ops);
            const SanaTextEmbedding e = encode_sana_prompt(*model, t, *ops);
            QCOMPARE(e.hidden.shape(), (Shape{1, kMaxSequenceLength, 32}));
            QCOMPARE(e.mask, ints(expected("sana_selected_mask")));
            const Tensor want = expected("sana_hidden");
            EXPECT_CLOSE(qPrintable(QString("Sana prompt rows on %1").arg(ops->name())), e.hidden, want,
                         tolerance(want));
        }
    }

    void sana_negative_has_no_instruction() {
        const auto tok = GemmaTokenizer::load(kDir / "tokenizer");
        const SanaPromptTokens t = tokenize_sana_negative(tok, "", kMaxSequenceLength);
        QCOMPARE(t.ids, ints(expected("negative_ids")));
        QCOMPARE(t.mask, ints(expected("negative_mask")));
        const auto model = Gemma2Model::load(kDir / "text_encoder");
        const SanaTextEmbedding e = encode_sana_prompt(*model, t, kernels::fast());
        const Tensor want = expected("negative_hidden");
        EXPECT_CLOSE("Sana negative prompt", e.hidden, want, tolerance(want));
    }

    void sana_instruction_off() {
        const auto tok = GemmaTokenizer::load(kDir / "tokenizer");
        SanaPromptOptions options;
        options.max_sequence_length = kMaxSequenceLength;
        options.use_instruction = false;
        const SanaPromptTokens t = tokenize_sana_prompt(tok, "  A Small Red Cube ", options);
        QCOMPARE(t.length, kMaxSequenceLength);
        for (int i = 0; i < kMaxSequenceLength; ++i) QCOMPARE(t.select[size_t(i)], i);
        // lower-cased and stripped, as the pipeline's text preprocessing does
        QCOMPARE(t.ids, tok.encode("a small red cube", kMaxSequenceLength).ids);
        options.max_sequence_length = 1;
        QVERIFY(error_of([&] { tokenize_sana_prompt(tok, "x", options); }).find("max_sequence_length") !=
                std::string::npos);
    }

    // --- loader errors ----------------------------------------------------------------------

    void broken_configs_name_the_field() {
        struct Case {
            std::function<void(nlohmann::json&)> edit;
            const char* says;
        };
        const std::vector<Case> cases = {
            {[](nlohmann::json& c) { c["num_key_value_heads"] = 3; }, "num_key_value_heads is 3; it must divide"},
            {[](nlohmann::json& c) { c["num_attention_heads"] = 0; }, "num_attention_heads is 0"},
            {[](nlohmann::json& c) { c["head_dim"] = 15; }, "head_dim is 15; it must be even"},
            {[](nlohmann::json& c) { c.erase("num_attention_heads"); }, "num_attention_heads"},
            {[](nlohmann::json& c) { c.erase("hidden_size"); }, "hidden_size"},
            {[](nlohmann::json& c) { c["hidden_activation"] = "relu"; }, "hidden_activation"},
            {[](nlohmann::json& c) { c["attn_logit_softcapping"] = -1; }, "attn_logit_softcapping"},
            {[](nlohmann::json& c) { c["vocab_size"] = "many"; }, "vocab_size"},
        };
        for (const Case& k : cases) {
            QTemporaryDir tmp;
            const fs::path dir = variant(tmp, k.edit);
            const std::string msg = error_of([&] { Gemma2Model::load(dir); });
            qInfo("%s", msg.c_str());
            QVERIFY2(msg.find(k.says) != std::string::npos, msg.c_str());
            QVERIFY2(msg.find("config.json") != std::string::npos, msg.c_str());
            QVERIFY(msg.front() != '\n');
        }
    }

    void heads_inconsistent_with_weights_name_the_key() {
        // A config whose heads disagree with the stored projections: every mis-shaped key is named.
        QTemporaryDir tmp;
        const fs::path dir = variant(tmp, [](nlohmann::json& c) { c["num_key_value_heads"] = 4; },
                                     [](std::map<std::string, Tensor>& t) { t.erase("layers.1.mlp.up_proj.weight"); });
        const std::string msg = error_of([&] { Gemma2Model::load(dir); });
        qInfo("%s", msg.c_str());
        QVERIFY2(msg.find("layers.0.self_attn.k_proj.weight") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("layers.1.mlp.up_proj.weight") != std::string::npos, msg.c_str());
    }

    void broken_tokenizer_files_are_named() {
        QTemporaryDir tmp;
        const fs::path dir(tmp.path().toStdString());
        // missing, with only the fast tokenizer beside it
        std::ofstream(dir / "tokenizer.json") << "{}";
        std::string msg = error_of([&] { GemmaTokenizer::load(dir); });
        QVERIFY2(msg.find("tokenizer.model not found") != std::string::npos && msg.find("tokenizer.json") != std::string::npos,
                 msg.c_str());
        // empty, truncated, foreign bytes
        std::ifstream in(kDir / "tokenizer" / "tokenizer.model", std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (const auto& [content, says] : {std::pair<std::string, const char*>{"", "is empty"},
                                            {bytes.substr(0, bytes.size() / 3), "truncated"},
                                            {std::string(64, '\xff'), "not a SentencePiece model"}}) {
            std::ofstream(dir / "tokenizer.model", std::ios::binary | std::ios::trunc) << content;
            msg = error_of([&] { GemmaTokenizer::load(dir); });
            qInfo("%s", msg.c_str());
            QVERIFY2(msg.find(says) != std::string::npos, msg.c_str());
            QVERIFY2(msg.find("Gemma tokenizer: ") == 0 && msg.find("tokenizer.model") != std::string::npos, msg.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestGemma2)
#include "test_gemma2.moc"
