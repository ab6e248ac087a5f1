// GGUF and the quantized formats: the block maths against the numpy reference
// (tools/reference/gguf_blocks.py) bit for bit, both ways; FP8 safetensors with ComfyUI's
// scale_weight; the reader's refusal of every kind of broken file, by name; llama.cpp's T5 names.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>

#include "engine/error.h"
#include "engine/io/gguf.h"
#include "engine/io/gguf_writer.h"
#include "engine/io/safetensors.h"
#include "engine/io/weights.h"
#include "engine/models/t5/t5_encoder.h"
#include "kernels/cpu/q8_gemm.h"
#include "kernels/cpu/quant.h"
#include "tests/common/test_helpers.h"
#include "tests/engine/loader_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "gguf";
const DType kBlockTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                             DType::Q5_1, DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::string u32le(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string gstr(const std::string& s) { return u64le(s.size()) + s; }

// A GGUF file byte by byte, with every field open to corruption.
struct GgufBytes {
    uint32_t version = 3;
    std::string magic = "GGUF";
    std::string kv;       // metadata entries
    uint64_t kv_count = 0;
    struct Info {
        std::string name;
        std::vector<uint64_t> dims;  // innermost first
        uint32_t type = 0;
        uint64_t offset = 0;
    };
    std::vector<Info> infos;
    std::string data;
    uint64_t alignment = 32;

    void add_kv_u32(const std::string& key, uint32_t type, uint32_t v) {
        kv += gstr(key) + u32le(type) + u32le(v);
        ++kv_count;
    }
    void add_kv_string(const std::string& key, const std::string& v) {
        kv += gstr(key) + u32le(8) + gstr(v);
        ++kv_count;
    }
    std::string bytes() const {
        std::string out = magic + u32le(version) + u64le(infos.size()) + u64le(kv_count) + kv;
        for (const Info& i : infos) {
            out += gstr(i.name) + u32le(uint32_t(i.dims.size()));
            for (uint64_t d : i.dims) out += u64le(d);
            out += u32le(i.type) + u64le(i.offset);
        }
        out.append((alignment - out.size() % alignment) % alignment, '\0');
        return out + data;
    }
};

// Two f32 tensors: "a" [2, 4] and "b" [8].
GgufBytes valid_file() {
    GgufBytes g;
    g.add_kv_string("general.architecture", "test");
    g.infos = {{"a", {4, 2}, 0, 0}, {"b", {8}, 0, 32}};
    g.data = std::string(64, '\0');
    return g;
}

Tensor random_matrix(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Tensor t({rows, cols});
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = n(rng) * (1.0f + float(i % 7));  // uneven blocks
    return t;
}

Tensor quantized(const Tensor& x, DType dtype) {
    auto buf = std::shared_ptr<unsigned char[]>(new unsigned char[size_t(storage_bytes(dtype, x.numel()))]);
    kernels::quantize(dtype, x.data(), buf.get(), x.numel());
    return Tensor::view(buf.get(), dtype, x.shape(), std::shared_ptr<const void>(buf, buf.get()));
}

}  // namespace

class TestGguf : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

    void expect_refused(const std::string& name, const std::string& bytes, const std::string& want) {
        const fs::path p = dir() / (name + ".gguf");
        write_bytes(p, bytes);
        const std::string msg = error_of([&] { GgufFile::open(p); });
        qInfo("%s: %s", name.c_str(), msg.c_str());
        QVERIFY2(msg.rfind(p.string() + ": ", 0) == 0, qPrintable(QString::fromStdString(name + ": " + msg)));
        QVERIFY2(msg.find(want) != std::string::npos,
                 qPrintable(QString::fromStdString(name + ": expected '" + want + "' in: " + msg)));
    }

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void blocksEqualTheNumpyReference() {
        // Random valid blocks of every type, dequantized by numpy; bit-exact.
        const auto blocks = GgufFile::open(kDir / "blocks.gguf");
        const auto want = GgufFile::open(kDir / "expected.gguf");
        QCOMPARE(blocks->metadata().at("general.architecture"), std::string("dit-test"));
        QCOMPARE(int(blocks->tensors().size()), 10);
        for (const auto& [name, info] : blocks->tensors()) {
            const Tensor got = blocks->load(name).to_f32();
            const std::string diff = exact_mismatch(got, want->load(name));
            QVERIFY2(diff.empty(), qPrintable(QString::fromStdString(name + ": " + diff)));
        }
        QCOMPARE(blocks->tensors().at("q8_0_3d").shape, (Shape{2, 3, 64}));
        QCOMPARE(blocks->tensors().at("q4_k").dtype, DType::Q4_K);
    }

    void fp8EqualsTheNumpyReferenceWithScales() {
        const WeightStore store = WeightStore::open(kDir / "fp8.safetensors");
        const auto want = GgufFile::open(kDir / "expected.gguf");
        // scale_weight folded into its weight; the scaled_fp8 marker dropped.
        QCOMPARE(store.keys(), (std::vector<std::string>{"e4m3", "e5m2", "layer.weight"}));
        QVERIFY(exact_mismatch(store.load("e4m3").to_f32(), want->load("fp8_e4m3")).empty());
        QVERIFY(exact_mismatch(store.load("e5m2").to_f32(), want->load("fp8_e5m2")).empty());
        const Tensor w = store.load("layer.weight");
        QCOMPARE(w.dtype(), DType::F8_E4M3);
        QCOMPARE(w.scale(), 0.0123f);
        QVERIFY(exact_mismatch(w.to_f32(), want->load("fp8_scaled")).empty());
        EXPECT_ERROR_TEXT(w.data(), "with a scale");
    }

    void fp8EncodingRoundsAndSaturates() {
        using namespace kernels;
        QCOMPARE(fp8_e4m3_to_float(0x7E), 448.0f);
        QCOMPARE(fp8_e4m3_to_float(0x01), std::ldexp(1.0f, -9));
        QCOMPARE(fp8_e4m3_to_float(0x08), std::ldexp(1.0f, -6));
        QVERIFY(std::isnan(fp8_e4m3_to_float(0xFF)));
        QCOMPARE(fp8_e5m2_to_float(0x7B), 57344.0f);
        for (int c = 0; c < 256; ++c) {  // every finite code survives decode -> encode
            if (!std::isnan(fp8_e4m3_to_float(uint8_t(c))))
                QCOMPARE(int(float_to_fp8_e4m3(fp8_e4m3_to_float(uint8_t(c)))), c);
            if (std::isfinite(fp8_e5m2_to_float(uint8_t(c))))
                QCOMPARE(int(float_to_fp8_e5m2(fp8_e5m2_to_float(uint8_t(c)))), c);
        }
        QCOMPARE(int(float_to_fp8_e4m3(1000.0f)), 0x7E);   // saturates
        QCOMPARE(int(float_to_fp8_e4m3(-1e9f)), 0xFE);
        QCOMPARE(int(float_to_fp8_e4m3(1.0625f)), 0x38);   // halfway 1 and 1.125: to even (1)
        QCOMPARE(int(float_to_fp8_e4m3(1.1875f)), 0x3A);   // halfway 1.125 and 1.25: to even (1.25)
        QCOMPARE(int(float_to_fp8_e5m2(1e6f)), 0x7B);
    }

    void quantizeWriteLoadDequantizeRoundTrips() {
        // quantize -> GGUF -> load -> dequantize equals the in-memory dequantization bit for bit,
        // the error is that of the format, and numpy dequantizes the written file to the same bits.
        std::map<std::string, Tensor> blocks, values;
        for (DType t : kBlockTypes) {
            const Tensor x = random_matrix(4, 512, uint32_t(t) + 1);
            const Tensor q = quantized(x, t);
            const std::string name = dtype_name(t);
            blocks[name] = q;
            values[name] = q.to_f32();
            double err = 0, ref = 0;
            for (int64_t i = 0; i < x.numel(); ++i) {
                err += double(values[name][i] - x[i]) * (values[name][i] - x[i]);
                ref += double(x[i]) * x[i];
            }
            const double rel = std::sqrt(err / ref);
            // Relative RMS error of each format on Gaussian data: 8 bits ~0.4%, 6 ~1.6%, 5 ~3%, 4 ~7%.
            const double bound = t == DType::Q8_0 ? 0.01 : t == DType::Q6_K ? 0.03 :
                                 (t == DType::Q5_0 || t == DType::Q5_1 || t == DType::Q5_K) ? 0.06 : 0.13;
            qInfo("%s: relative RMS error %.4f (bound %.2f)", name.c_str(), rel, bound);
            QVERIFY2(rel < bound, qPrintable(QString::fromStdString(name)));
        }
        save_gguf(dir() / "q.gguf", blocks, {{"general.architecture", "dit-test"}});
        save_gguf(dir() / "v.gguf", values);
        const auto back = GgufFile::open(dir() / "q.gguf");
        for (const auto& [name, t] : blocks) {
            QCOMPARE(back->tensors().at(name).dtype, t.dtype());
            const std::string diff = exact_mismatch(back->load(name).to_f32(), values[name]);
            QVERIFY2(diff.empty(), qPrintable(QString::fromStdString(name + ": " + diff)));
        }
        if (!QFileInfo::exists("/usr/bin/python3")) QSKIP("/usr/bin/python3 is not installed");
        QProcess py;
        py.setProcessChannelMode(QProcess::MergedChannels);
        py.start("/usr/bin/python3", {QString(DIT_SOURCE_DIR) + "/tools/reference/gguf_blocks.py", "verify",
                                      QString::fromStdString((dir() / "q.gguf").string()),
                                      QString::fromStdString((dir() / "v.gguf").string())});
        QVERIFY(py.waitForFinished(120000));
        const QString out = py.readAll();
        if (out.contains("No module named 'numpy'")) QSKIP("numpy is not installed for /usr/bin/python3");
        qInfo("%s", qPrintable(out.trimmed()));
        QCOMPARE(py.exitCode(), 0);
        QVERIFY(out.contains("8 tensors, 0 differ"));
    }

    void validFileLoads() {
        GgufBytes g = valid_file();
        const float a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        std::memcpy(g.data.data(), a, 32);
        write_bytes(dir() / "ok.gguf", g.bytes());
        const auto f = GgufFile::open(dir() / "ok.gguf");
        QCOMPARE(f->tensors().at("a").shape, (Shape{2, 4}));
        QCOMPARE(f->load("a").to_f32()[5], 6.0f);
        QCOMPARE(f->alignment(), 32u);
    }

    void brokenFilesAreRefusedWithTheirReason() {
        const std::string ok = valid_file().bytes();
        for (size_t cut : {size_t(3), size_t(10), size_t(30), size_t(60), size_t(100), ok.size() - 1})
            expect_refused("truncated_" + std::to_string(cut), ok.substr(0, cut), "truncated");

        auto with = [](const std::function<void(GgufBytes&)>& edit) {
            GgufBytes g = valid_file();
            edit(g);
            return g.bytes();
        };
        expect_refused("bad_magic", with([](GgufBytes& g) { g.magic = "GGML"; }), "bad magic 'GGML'");
        expect_refused("version1", with([](GgufBytes& g) { g.version = 1; }), "GGUF version 1 is not supported");
        expect_refused("version2", with([](GgufBytes& g) { g.version = 2; }), "GGUF version 2 is not supported");
        expect_refused("big_endian", with([](GgufBytes& g) { g.version = 3u << 24; }), "big-endian");
        expect_refused("misaligned", with([](GgufBytes& g) { g.infos[1].offset = 36; }),
                       "tensor 'b': offset 36 is not a multiple of the alignment 32");
        expect_refused("past_end", with([](GgufBytes& g) { g.infos[1].offset = 64; }),
                       "tensor 'b': bytes [64, 96) of the data region run past the end");
        expect_refused("far_past_end", with([](GgufBytes& g) { g.infos[1].offset = uint64_t(1) << 40; }),
                       "tensor 'b': offset 1099511627776 + 32 bytes runs past the end");
        expect_refused("unknown_type", with([](GgufBytes& g) { g.infos[0].type = 99; }), "tensor 'a': unknown ggml type 99");
        expect_refused("unsupported_type", with([](GgufBytes& g) { g.infos[0].type = 10; }),
                       "tensor 'a': type Q2_K is not supported");
        expect_refused("duplicate", with([](GgufBytes& g) { g.infos[1].name = "a"; }), "tensor 'a': the name appears twice");
        expect_refused("absurd_dims", with([](GgufBytes& g) { g.infos[0].dims = {uint64_t(1) << 40, uint64_t(1) << 30}; }),
                       "tensor 'a': absurd dimensions");
        expect_refused("overflowing_dims", with([](GgufBytes& g) { g.infos[0].dims = {~uint64_t(0), 2}; }),
                       "absurd dimensions");
        expect_refused("five_dims", with([](GgufBytes& g) { g.infos[0].dims = {1, 1, 1, 1, 8}; }), "tensor 'a': 5 dimensions");
        expect_refused("partial_block", with([](GgufBytes& g) { g.infos[0] = {"a", {48, 1}, 8, 0}; }),
                       "tensor 'a': rows of 48 values are not whole Q8_0 blocks of 32");
        expect_refused("overlap", with([](GgufBytes& g) { g.infos[1].offset = 0; }), "overlap");
        expect_refused("long_name", with([](GgufBytes& g) { g.infos[0].name = std::string(64, 'x'); }), "at most 63");
        expect_refused("bad_alignment", with([](GgufBytes& g) { g.add_kv_u32("general.alignment", 4, 24); }),
                       "'general.alignment' is 24, not a power of two");
        expect_refused("alignment_type", with([](GgufBytes& g) { g.add_kv_u32("general.alignment", 5, 32); }),
                       "'general.alignment' should be a uint32, found int32");
        expect_refused("duplicate_key", with([](GgufBytes& g) { g.add_kv_string("general.architecture", "x"); }),
                       "metadata key 'general.architecture' appears twice");
        expect_refused("value_type", with([](GgufBytes& g) { g.add_kv_u32("k", 13, 0); }),
                       "metadata 'k' has unknown value type 13");
        expect_refused("bad_bool", with([](GgufBytes& g) { g.add_kv_u32("flag", 7, 2); }), "metadata 'flag' is a bool holding 2");
        expect_refused("huge_array", with([](GgufBytes& g) {
                           g.kv += gstr("arr") + u32le(9) + u32le(0) + u64le(uint64_t(1) << 50);
                           ++g.kv_count;
                       }),
                       "metadata 'arr' claims 1125899906842624 uint8 elements");
        expect_refused("huge_counts", with([](GgufBytes& g) { g.kv_count = uint64_t(1) << 60; }), "metadata entries");
        expect_refused("huge_string", with([](GgufBytes& g) {
                           g.kv += gstr("s") + u32le(8) + u64le(uint64_t(1) << 62);
                           ++g.kv_count;
                       }),
                       "truncated: metadata 's' claims 4611686018427387904 bytes");
    }

    void aGgufOpensThroughTheWeightStoreAndByContent() {
        fs::create_directories(dir() / "store");
        const Tensor x = random_matrix(2, 64, 3);
        save_gguf(dir() / "store" / "diffusion_pytorch_model.gguf", {{"proj.weight", quantized(x, DType::Q8_0)}});
        const WeightStore store = WeightStore::open(dir() / "store");
        QCOMPARE(store.info("proj.weight").dtype, DType::Q8_0);
        QCOMPARE(store.dtype_summary(), std::string("Q8_0 1"));
        QCOMPARE(store.stored_bytes(), uint64_t(2 * 2 * 34));
        fs::copy_file(dir() / "store" / "diffusion_pytorch_model.gguf", dir() / "named_oddly.bin");
        QCOMPARE(int(WeightFile::open(dir() / "named_oddly.bin")->tensors().size()), 1);
        EXPECT_ERROR_TEXT(save_gguf(dir() / "fp8.gguf", {{"w", quantized(x, DType::F8_E4M3)}}),
                          "tensor 'w': GGUF has no tensor type for F8_E4M3");
    }

    void llamaCppT5NamesLoadTheSameTensors() {
        // The T5 fixture written as llama.cpp names it; the store must offer the Hugging Face
        // names with the same bits, and the encoder must give the same hidden states.
        const fs::path hf = fs::path(DIT_FIXTURES) / "t5" / "text_encoder";
        const WeightStore ref = WeightStore::open(hf);
        const std::map<std::string, std::string> block_names = {
            {"layer.0.SelfAttention.q.weight", "attn_q.weight"}, {"layer.0.SelfAttention.k.weight", "attn_k.weight"},
            {"layer.0.SelfAttention.v.weight", "attn_v.weight"}, {"layer.0.SelfAttention.o.weight", "attn_o.weight"},
            {"layer.0.SelfAttention.relative_attention_bias.weight", "attn_rel_b.weight"},
            {"layer.0.layer_norm.weight", "attn_norm.weight"}, {"layer.1.layer_norm.weight", "ffn_norm.weight"},
            {"layer.1.DenseReluDense.wi_0.weight", "ffn_gate.weight"}, {"layer.1.DenseReluDense.wi_1.weight", "ffn_up.weight"},
            {"layer.1.DenseReluDense.wo.weight", "ffn_down.weight"}};
        std::map<std::string, Tensor> llama;
        for (const std::string& key : ref.keys()) {
            std::string name;
            if (key == "shared.weight") name = "token_embd.weight";
            else if (key == "encoder.final_layer_norm.weight") name = "enc.output_norm.weight";
            else if (key == "encoder.embed_tokens.weight") continue;  // the tied twin: llama.cpp keeps one
            else {
                const size_t dot = key.find('.', std::strlen("encoder.block."));
                name = "enc.blk." + key.substr(14, dot - 14) + "." + block_names.at(key.substr(dot + 1));
            }
            llama[name] = ref.load(key);
        }
        QVERIFY(llama.count("enc.blk.1.ffn_gate.weight"));
        const fs::path folder = dir() / "t5_llama";
        fs::create_directories(folder);
        fs::copy_file(hf / "config.json", folder / "config.json");
        save_gguf(folder / "model.gguf", llama, {{"general.architecture", "t5encoder"}});

        const WeightStore store = WeightStore::open(folder);
        for (const std::string& key : store.keys()) {
            QVERIFY2(ref.contains(key), key.c_str());
            QVERIFY2(exact_mismatch(store.load(key).to_f32(), ref.load(key).to_f32()).empty(), key.c_str());
        }
        QCOMPARE(store.keys().size() + (ref.contains("encoder.embed_tokens.weight") ? 1 : 0), ref.keys().size());
        const auto a = T5EncoderModel::load(hf), b = T5EncoderModel::load(folder);
        const std::vector<int32_t> ids = {5, 9, 1, 0}, mask = {1, 1, 1, 0};
        const Tensor ha = a->forward(ids, mask, 1, 4, kernels::fast()), hb = b->forward(ids, mask, 1, 4, kernels::fast());
        QVERIFY(exact_mismatch(hb, ha).empty());
    }

    void quantizedLinearEqualsTheDequantizedReference() {
        // Backend::linear on a quantized WeightRef against linear on the dequantized f32 matrix:
        // the reference backend widens row by row (exact), the fast one a panel at a time. (The
        // fast backend's int8 Q8_0 path is checked in tests/kernels/test_q8_gemm.)
        kernels::set_int8_enabled(false);
        const int64_t M = 5, N = 48, K = 512;
        const Tensor x = random_matrix(M, K, 11), bias = random_matrix(1, N, 12);
        for (DType t : kBlockTypes) {
            const Tensor w = quantized(random_matrix(N, K, 13), t), wf = w.to_f32();
            for (kernels::Backend* ops : {&kernels::reference(), &kernels::fast()}) {
                Tensor want({M, N}), got({M, N});
                ops->linear(x.data(), wf.data(), bias.data(), want.data(), M, N, K);
                ops->linear(x.data(), w.weight_ref(), bias.data(), got.data(), M, N, K);
                double worst = 0;
                for (int64_t i = 0; i < want.numel(); ++i)
                    worst = std::max(worst, double(std::fabs(got[i] - want[i])) / (1.0 + std::fabs(want[i])));
                QVERIFY2(worst < 1e-5, qPrintable(QString("%1 on %2: %3").arg(dtype_name(t)).arg(ops->name()).arg(worst)));
            }
        }
        kernels::set_int8_enabled(true);
    }
};

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
