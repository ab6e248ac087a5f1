// T5 tokenizer and T5EncoderModel against tools/reference/t5.py on the tiny SentencePiece
// model and random T5 encoders of tests/fixtures/t5 (made by tools/reference/make_t5_fixture.py),
// on both CPU backends, plus the sharded BF16 and F16 ReLU copies, relative position buckets,
// and loader errors.
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/pipeline/prompt_check.h"
#include "tests/common/test_helpers.h"
#include "engine/io/safetensors.h"
#include "engine/io/weights.h"
#include "engine/models/t5/t5_encoder.h"
#include "engine/models/t5/t5_tokenizer.h"
#include "kernels/cpu/ops.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "t5";
constexpr int kMaxLength = 16;

Tensor expected(const std::string& name) {
    return SafetensorsFile::open(kDir / "expected.safetensors")->load(name);
}

std::vector<std::string> prompts() {
    const auto meta = SafetensorsFile::open(kDir / "expected.safetensors")->metadata();
    return nlohmann::json::parse(meta.at("prompts")).get<std::vector<std::string>>();
}

std::vector<int32_t> as_ints(const Tensor& t, int64_t begin = 0, int64_t count = -1) {
    if (count < 0) count = t.numel() - begin;
    std::vector<int32_t> out;
    for (int64_t i = begin; i < begin + count; ++i) out.push_back(static_cast<int32_t>(std::lround(t[i])));
    return out;
}

// A copy of the f32 fixture encoder in `tmp`, its tensors edited by `edit` (drop, add, rename).
fs::path variant(const QTemporaryDir& tmp, const std::function<void(std::map<std::string, Tensor>&)>& edit) {
    const fs::path dir = fs::path(tmp.path().toStdString()) / "text_encoder";
    fs::create_directories(dir);
    fs::copy_file(kDir / "text_encoder" / "config.json", dir / "config.json");
    const WeightStore store = WeightStore::open(kDir / "text_encoder");
    std::map<std::string, Tensor> tensors;
    for (const auto& key : store.keys()) tensors[key] = store.load(key);
    edit(tensors);
    save_safetensors(dir / "model.safetensors", tensors);
    return dir;
}

// Row b of a [B, L, D] tensor as [1, L, D].
Tensor item(const Tensor& t, int64_t b) {
    return t.slice0(b, b + 1).clone();
}

}  // namespace

class TestT5 : public QObject {
    Q_OBJECT

private slots:
    // --- tokenizer ---------------------------------------------------------------------------

    void tokenizer_matches_reference() {
        // Exact ids and mask of transformers' T5Tokenizer(padding="max_length", truncation=True).
        const auto tok = T5Tokenizer::load(kDir / "tokenizer");
        QCOMPARE(tok.pad_id(), 0);
        QCOMPARE(tok.eos_id(), 1);
        const auto texts = prompts();
        QCOMPARE(int(texts.size()), 4);
        const Tensor ids = expected("ids"), mask = expected("mask"), lengths = expected("lengths");
        for (size_t p = 0; p < texts.size(); ++p) {
            const TokenizedPrompt t = tok.encode(texts[p], kMaxLength);
            const int want_length = std::min<int>(std::lround(lengths[int64_t(p)]), kMaxLength);
            QCOMPARE(t.ids, as_ints(ids, int64_t(p) * kMaxLength, kMaxLength));
            QCOMPARE(t.mask, as_ints(mask, int64_t(p) * kMaxLength, kMaxLength));
            QCOMPARE(t.length, want_length);
            QCOMPARE(t.truncated, std::lround(lengths[int64_t(p)]) > kMaxLength);
        }
        // "" is just </s>; the long prompt keeps its </s> after truncation.
        QCOMPARE(tok.encode("", kMaxLength).ids[0], 1);
        QCOMPARE(tok.encode(texts[2], kMaxLength).ids[kMaxLength - 1], 1);
    }

    void count_tokens_is_untruncated() {
        const auto tok = T5Tokenizer::load(kDir / "tokenizer");
        const auto texts = prompts();
        const Tensor lengths = expected("lengths");
        for (size_t p = 0; p < texts.size(); ++p)
            QCOMPARE(tok.count_tokens(texts[p]), int(std::lround(lengths[int64_t(p)])));
        QVERIFY(tok.count_tokens(texts[2]) > kMaxLength);
        QCOMPARE(tok.count_tokens(""), 1);
    }

    // What the text encoder will not see, located in the text as the user typed it (leading
    // spaces and capitals included): words without a piece, and the part past the limit.
    void prompt_check_marks_unknown_words_and_the_cut() {
        const auto tok = T5Tokenizer::load(fs::path(DIT_FIXTURES) / "tiny-pixart-alpha" / "tokenizer");
        const std::string text = "  A red circle near a \xd0\xb6\xd1\x91\xd0\xbb\xd1\x82\xd1\x8b\xd0\xb9 star";  // жёлтый
        const PromptCheck c = check_prompt(tok, text, 120);
        QCOMPARE(c.unknown.size(), size_t(1));
        QCOMPARE(text.substr(c.unknown[0].first, c.unknown[0].second - c.unknown[0].first),
                 std::string("\xd0\xb6\xd1\x91\xd0\xbb\xd1\x82\xd1\x8b\xd0\xb9"));
        QCOMPARE(c.cut_at, std::string::npos);
        QCOMPARE(c.tokens, tok.count_tokens(caption_preprocess(text)));
        const auto said = describe(c, text, "prompt");
        QCOMPARE(said.size(), size_t(1));
        QVERIFY2(said[0].find("no piece for '\xd0\xb6") != std::string::npos, said[0].c_str());
        QVERIFY(describe(check_prompt(tok, "a red circle", 120), "a red circle", "prompt").empty());

        // A limit of 4 keeps 3 pieces and the EOS: "a", "re", "d"; the cut starts at " circle".
        const PromptCheck cut = check_prompt(tok, text, 4);
        QVERIFY(cut.cut_at != std::string::npos);
        QCOMPARE(text.substr(cut.cut_at, 7), std::string(" circle"));
        const auto cut_said = describe(cut, text, "region 2's prompt");
        QVERIFY2(cut_said.back().find("region 2's prompt: ") == 0 && cut_said.back().find("cut from ' circle near") != std::string::npos,
                 cut_said.back().c_str());
    }

    void encode_edge_lengths() {
        const auto tok = T5Tokenizer::load(kDir / "tokenizer");
        const auto one = tok.encode("a red circle", 1);  // room for </s> only
        QCOMPARE(one.ids, std::vector<int32_t>{1});
        QCOMPARE(one.mask, std::vector<int32_t>{1});
        QVERIFY(one.truncated);
        const int n = tok.count_tokens("a red circle");
        const auto exact = tok.encode("a red circle", n);  // fits exactly: no padding, no cut
        QCOMPARE(exact.length, n);
        QVERIFY(!exact.truncated);
        QCOMPARE(exact.ids.back(), 1);
        EXPECT_ERROR(tok.encode("x", 0), "max_length");
    }

    void tokenizer_file_path_is_accepted() {
        const auto tok = T5Tokenizer::load(kDir / "tokenizer" / "spiece.model");
        QCOMPARE(tok.encode("a red circle above a blue square", kMaxLength).ids,
                 as_ints(expected("ids"), kMaxLength, kMaxLength));
    }

    void missing_spiece_model_is_named() {
        QTemporaryDir tmp;
        EXPECT_ERROR(T5Tokenizer::load(tmp.path().toStdString()), "spiece.model");
    }

    void corrupt_spiece_model_is_named() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        {
            std::ofstream f(dir / "spiece.model", std::ios::binary);
            f << "this is not a protobuf \x01\x02\xff\xfe at all";
        }
        EXPECT_ERROR(T5Tokenizer::load(dir), (dir / "spiece.model").string());
        // A truncated download: cut between two pieces it is still well-formed protobuf, which
        // SentencePiece itself would load as a smaller vocabulary.
        std::ifstream in(kDir / "tokenizer" / "spiece.model", std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (const size_t cut : {size_t(1), bytes.size() / 4, bytes.size() / 2, bytes.size() * 9 / 10,
                                 bytes.size() - 1}) {
            {
                std::ofstream f(dir / "spiece.model", std::ios::binary | std::ios::trunc);
                f.write(bytes.data(), std::streamsize(cut));
            }
            EXPECT_ERROR(T5Tokenizer::load(dir), "spiece.model");
        }
        {
            std::ofstream f(dir / "spiece.model", std::ios::binary | std::ios::trunc);
        }
        EXPECT_ERROR(T5Tokenizer::load(dir), "spiece.model");
        // One more piece whose text is a single NUL byte (found by fuzz.fuzz_tokenizer):
        // SentencePiece's trie builder throws on it rather than returning a status.
        {
            const std::string piece = std::string("\x0a\x01\x00\x15", 4) + std::string(4, '\0') + "\x18\x01";
            std::ofstream f(dir / "spiece.model", std::ios::binary | std::ios::trunc);
            f << bytes << '\x0a' << char(piece.size()) << piece;
        }
        EXPECT_ERROR(T5Tokenizer::load(dir), "spiece.model");
    }

    // --- relative position buckets -------------------------------------------------------------

    void relative_position_buckets_match() {
        // Every relative position -600..600 for the fixture's (16 buckets, 12) and T5's standard
        // (32, 128) settings; exact, since a float rounding at an edge moves a whole bucket.
        const std::pair<const char*, std::pair<int, int>> cases[] = {{"buckets_fixture", {16, 12}},
                                                                      {"buckets_t5", {32, 128}}};
        for (const auto& [name, setting] : cases) {
            const Tensor want = expected(name);
            QCOMPARE(want.numel(), int64_t(1201));
            for (int64_t r = -600; r <= 600; ++r) {
                const int got = T5EncoderModel::relative_position_bucket(r, true, setting.first, setting.second);
                if (got != std::lround(want[r + 600]))
                    QFAIL(qPrintable(QString("%1: relative position %2 -> bucket %3, reference %4")
                                         .arg(name).arg(r).arg(got).arg(want[r + 600])));
            }
        }
    }

    // --- encoder -------------------------------------------------------------------------------

    void config_is_read() {
        auto m = T5EncoderModel::load(kDir / "text_encoder");
        const auto& c = m->config();
        QCOMPARE(m->d_model(), 32);
        QCOMPARE(c.num_layers, 2);
        QCOMPARE(c.num_heads, 4);
        QCOMPARE(c.d_kv, 8);
        QCOMPARE(c.d_ff, 64);
        QCOMPARE(c.relative_attention_num_buckets, 16);
        QCOMPARE(c.relative_attention_max_distance, 12);
        QVERIFY(c.gated);
        QVERIFY(c.activation == T5EncoderConfig::Activation::GeluTanh);
        QCOMPARE(c.vocab_size, T5Tokenizer::load(kDir / "tokenizer").vocab_size());
    }

    void forward_matches_reference_data() {
        QTest::addColumn<QString>("backend");
        QTest::newRow("reference") << "reference";
        QTest::newRow("fast") << "fast";
    }
    void forward_matches_reference() {
        QFETCH(QString, backend);
        auto& ops = backend == "fast" ? kernels::fast() : kernels::reference();
        auto m = T5EncoderModel::load(kDir / "text_encoder");
        const Tensor hidden = m->forward(as_ints(expected("ids")), as_ints(expected("mask")), 4, kMaxLength, ops);
        QCOMPARE(hidden.shape(), (Shape{4, kMaxLength, 32}));
        // f32 against the float64 reference; hidden states are about +-4 after the final RMS
        // norm, 1e-4 leaves room for f32 rounding through 2 blocks and 4 norms.
        EXPECT_CLOSE("hidden [4,16,32]", hidden, expected("hidden"), 1e-4);
    }

    void tokenizer_to_encoder() {
        // The whole text path: prompt -> tokenizer -> encoder, one prompt at a time (batch 1
        // gives the batched rows: each item is independent).
        const auto tok = T5Tokenizer::load(kDir / "tokenizer");
        auto m = T5EncoderModel::load(kDir / "text_encoder");
        const auto texts = prompts();
        const Tensor want = expected("hidden");
        for (size_t p = 0; p < texts.size(); ++p) {
            const auto t = tok.encode(texts[p], kMaxLength);
            const Tensor got = m->forward(t.ids, t.mask, 1, kMaxLength, kernels::fast());
            EXPECT_CLOSE(qPrintable(QString("prompt %1").arg(p)), got, item(want, int64_t(p)), 1e-4);
        }
    }

    void sharded_bf16_gives_the_same() {
        // text_encoder_sharded: 2 shards + index, BF16, embedding as encoder.embed_tokens.weight;
        // the values equal the f32 copy's (they were rounded to BF16 first), so 1e-6.
        auto m = T5EncoderModel::load(kDir / "text_encoder_sharded");
        const Tensor hidden =
            m->forward(as_ints(expected("ids")), as_ints(expected("mask")), 4, kMaxLength, kernels::fast());
        auto f32 = T5EncoderModel::load(kDir / "text_encoder");
        EXPECT_CLOSE("sharded vs f32", hidden,
                     f32->forward(as_ints(expected("ids")), as_ints(expected("mask")), 4, kMaxLength, kernels::fast()),
                     1e-6);
        EXPECT_CLOSE("sharded vs reference", hidden, expected("hidden"), 1e-4);
    }

    void relu_feed_forward_matches_reference_data() { forward_matches_reference_data(); }
    void relu_feed_forward_matches_reference() {
        // T5 v1.0 style: feed_forward_proj "relu", DenseReluDense.wi/wo, stored F16, 32 buckets.
        QFETCH(QString, backend);
        auto& ops = backend == "fast" ? kernels::fast() : kernels::reference();
        auto m = T5EncoderModel::load(kDir / "text_encoder_relu");
        QVERIFY(!m->config().gated);
        const Tensor hidden = m->forward(as_ints(expected("ids")), as_ints(expected("mask")), 4, kMaxLength, ops);
        EXPECT_CLOSE("relu hidden [4,16,32]", hidden, expected("hidden_relu"), 1e-4);
    }

    void both_embedding_names_are_accepted() {
        // transformers' state_dict holds the tied embedding under both names.
        QTemporaryDir tmp;
        const auto dir = variant(tmp, [](auto& t) { t["encoder.embed_tokens.weight"] = t.at("shared.weight"); });
        auto m = T5EncoderModel::load(dir);
        EXPECT_CLOSE("both names",
                     m->forward(as_ints(expected("ids")), as_ints(expected("mask")), 4, kMaxLength, kernels::fast()),
                     expected("hidden"), 1e-4);
    }

    void missing_key_is_named() {
        QTemporaryDir tmp;
        const std::string key = "encoder.block.1.layer.1.DenseReluDense.wi_1.weight";
        const auto dir = variant(tmp, [&](auto& t) { t.erase(key); });
        EXPECT_ERROR(T5EncoderModel::load(dir), key);
    }

    void missing_embedding_is_named() {
        QTemporaryDir tmp;
        const auto dir = variant(tmp, [](auto& t) { t.erase("shared.weight"); });
        EXPECT_ERROR(T5EncoderModel::load(dir), "shared.weight");
    }

    void misshaped_and_unexpected_keys_are_named() {
        QTemporaryDir tmp;
        const auto dir = variant(tmp, [](auto& t) {
            t["encoder.final_layer_norm.weight"] = Tensor({33});
            // a second relative table: only block 0 has one in transformers' T5 encoder
            t["encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"] = Tensor({16, 4});
        });
        try {
            T5EncoderModel::load(dir);
            QFAIL("loading mis-shaped weights did not throw");
        } catch (const Error& e) {
            qInfo("error: %s", e.what());
            const std::string msg = e.what();
            QVERIFY2(msg.find("encoder.final_layer_norm.weight") != std::string::npos, e.what());
            QVERIFY2(msg.find("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight") !=
                         std::string::npos, e.what());
        }
    }

    void bad_config_is_named() {
        QTemporaryDir tmp;
        const auto dir = variant(tmp, [](auto&) {});
        nlohmann::json cfg;
        std::ifstream(dir / "config.json") >> cfg;
        cfg["feed_forward_proj"] = "gated-tanhshrink";
        std::ofstream(dir / "config.json", std::ios::trunc) << cfg.dump(2);
        EXPECT_ERROR(T5EncoderModel::load(dir), "feed_forward_proj");
    }

    void bad_inputs_are_refused() {
        auto m = T5EncoderModel::load(kDir / "text_encoder");
        std::vector<int32_t> ids(kMaxLength, 0), mask(kMaxLength, 1);
        ids[3] = m->config().vocab_size;
        EXPECT_ERROR(m->forward(ids, mask, 1, kMaxLength, kernels::fast()), "vocab");
        EXPECT_ERROR(m->forward(ids, mask, 2, kMaxLength, kernels::fast()), "expected 32");
    }

    void cancel_is_seen_between_blocks() {
        auto m = T5EncoderModel::load(kDir / "text_encoder");
        int polls = 0;
        const std::function<bool()> cancel = [&] { return ++polls >= 2; };  // cancel before block 1
        QVERIFY_THROWS_EXCEPTION(Cancelled, m->forward(as_ints(expected("ids")), as_ints(expected("mask")), 4,
                                                       kMaxLength, kernels::fast(), &cancel));
        QCOMPARE(polls, 2);
        const std::function<bool()> never = [] { return false; };
        const Tensor hidden =
            m->forward(as_ints(expected("ids")), as_ints(expected("mask")), 4, kMaxLength, kernels::fast(), &never);
        EXPECT_CLOSE("with a cancel flag that stays false", hidden, expected("hidden"), 1e-4);
    }
};

QTEST_APPLESS_MAIN(TestT5)
#include "test_t5.moc"
