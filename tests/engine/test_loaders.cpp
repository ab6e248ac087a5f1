// The loading layer: safetensors (mmap, f16/bf16 conversion, every malformed-header path),
// sharded weight stores and the parameter binder's report. Broken inputs are written into a temp
// folder and each must raise a dit::Error whose message names the file and the fault.
// Configs, diffusers folders, .npy and images are in test_formats.cpp.
#include <QtTest>

#include <cmath>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "tests/common/test_helpers.h"
#include "tests/engine/loader_helpers.h"
#include "engine/error.h"
#include "engine/io/half.h"
#include "engine/io/mapped_file.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/io/weights.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;
using nlohmann::json;

class TestLoaders : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

    // Opens a safetensors byte string written under `name`; expects an error naming the file.
    void expect_st_error(const std::string& name, const std::string& bytes, const std::string& want) {
        const fs::path p = dir() / name;
        write_bytes(p, bytes);
        const std::string msg = error_of([&] { SafetensorsFile::open(p); });
        qInfo("%s", msg.c_str());
        QVERIFY2(msg.rfind(p.string() + ": ", 0) == 0, qPrintable("message does not start with the path: " + QString::fromStdString(msg)));
        QVERIFY2(msg.find(want) != std::string::npos,
                 qPrintable(QString("expected '%1' in: %2").arg(QString::fromStdString(want), QString::fromStdString(msg))));
    }

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    // ---- resident pages of a mapping (the low-VRAM T5's release) ------------------------------
    void released_pages_leave_resident_memory_and_read_back() {
        const auto path = dir() / "pages.bin";
        const size_t n = size_t(48) << 20;
        {
            std::vector<uint8_t> bytes(n);
            for (size_t i = 0; i < n; ++i) bytes[i] = uint8_t(i * 2654435761u >> 24);
            std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(n));
        }
        // The mapping's resident KiB, from /proc/self/smaps (its "Rss:" line).
        const auto resident_kib = [](const void* base) {
            std::ifstream smaps("/proc/self/smaps");
            char range[64];
            std::snprintf(range, sizeof range, "%lx-", static_cast<unsigned long>(reinterpret_cast<uintptr_t>(base)));
            bool inside = false;
            for (std::string line; std::getline(smaps, line);) {
                if (line.rfind(range, 0) == 0) inside = true;
                else if (inside && line.rfind("Rss:", 0) == 0) return std::stol(line.substr(4));
            }
            return -1L;
        };
        auto file = MappedFile::open(path, n, "test data");
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i += 4096) sum += file->bytes()[i];
        QVERIFY2(resident_kib(file->bytes()) > 40 * 1024, "touching the mapping did not make it resident");
        MappedFile::release_pages(file->bytes(), n);
        QVERIFY2(resident_kib(file->bytes()) < 1024, "released pages are still resident");
        uint64_t again = 0;
        for (size_t i = 0; i < n; i += 4096) again += file->bytes()[i];
        QCOMPARE(again, sum);  // read back from the file
        // Memory outside every mapping keeps its contents (madvise would zero owned memory).
        std::vector<uint8_t> owned(size_t(1) << 20, 7);
        MappedFile::release_pages(owned.data(), owned.size());
        QCOMPARE(int(owned[owned.size() / 2]), 7);
        // A range running past the mapping's end is refused as a whole.
        MappedFile::release_pages(file->bytes() + n - 4096, 8192);
    }

    // ---- half formats -----------------------------------------------------------------------

    void halfConversionIsExactAndRoundTrips() {
        // Every binary16 pattern: f16 -> f32 -> f16 must give the same bits (NaNs stay NaN), and
        // the value must equal mantissa * 2^exponent computed independently. Tolerance: exact.
        int bad = 0;
        for (uint32_t h = 0; h < 65536; ++h) {
            const float f = detail::half_to_float(static_cast<uint16_t>(h));
            const int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
            const float sign = (h & 0x8000) ? -1.0f : 1.0f;
            float want;
            if (exp == 0x1f) want = mant ? NAN : sign * INFINITY;
            else if (exp == 0) want = sign * std::ldexp(static_cast<float>(mant), -24);
            else want = sign * std::ldexp(static_cast<float>(mant + 1024), exp - 25);
            if (!same_bits(f, want)) ++bad;
            if (!std::isnan(f) && detail::float_to_half(f) != h) ++bad;
        }
        QVERIFY2(bad == 0, qPrintable(QString("%1 of 65536 patterns wrong").arg(bad)));
        QCOMPARE(detail::float_to_half(1.0f + 1.0f / 2048), uint16_t(0x3c00));  // tie -> even
        QCOMPARE(detail::float_to_half(1e6f), uint16_t(0x7c00));                 // overflow -> inf
    }

    // ---- safetensors: valid files -----------------------------------------------------------

    void roundTripF32WithMetadata() {
        const fs::path p = dir() / "rt.safetensors";
        std::map<std::string, Tensor> in;
        in["a.weight"] = Tensor::from({2, 3}, {1, -2, 3.5f, 1e-30f, -0.0f, 7});
        in["b"] = Tensor::from({5}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f});
        in["empty"] = Tensor({0, 4});
        in["scalar"] = Tensor::from({}, {42});
        save_safetensors(p, in, {{"format", "pt"}, {"note", "x"}});
        QVERIFY(!fs::exists(p.string() + ".tmp"));  // temp files are renamed away
        for (const auto& e : fs::directory_iterator(dir()))
            QVERIFY2(e.path().string().find(".tmp.") == std::string::npos, "temp file left behind");

        const std::string raw = read_bytes(p);
        uint64_t n;
        std::memcpy(&n, raw.data(), 8);
        QCOMPARE(n % 8, uint64_t(0));  // data region 8-byte aligned

        auto f = SafetensorsFile::open(p);
        QCOMPARE(f->tensors().size(), size_t(4));
        QCOMPARE(f->metadata().at("format"), std::string("pt"));
        for (const auto& [name, t] : in) EXPECT_EXACT(f->load(name), t);  // tolerance: exact
    }

    void f16AndBf16ByHandBytes() {
        // F16: 1, -2, smallest subnormal 2^-24, largest subnormal, -0, 65504, inf, -inf, NaN.
        // BF16: 1, -3, smallest subnormal 2^-133, inf, NaN, 0.
        const std::string h16 = halves({0x3c00, 0xc000, 0x0001, 0x03ff, 0x8000, 0x7bff, 0x7c00, 0xfc00, 0x7e00});
        const std::string hb16 = halves({0x3f80, 0xc040, 0x0001, 0x7f80, 0x7fc0, 0x0000});
        json h = {{"h", {{"dtype", "F16"}, {"shape", {9}}, {"data_offsets", {0, 18}}}},
                  {"b", {{"dtype", "BF16"}, {"shape", {2, 3}}, {"data_offsets", {18, 30}}}}};
        const fs::path p = dir() / "half.safetensors";
        write_bytes(p, st_bytes(h.dump(), h16 + hb16));
        auto f = SafetensorsFile::open(p);
        QCOMPARE(f->tensors().at("h").dtype, DType::F16);
        const Tensor a = f->load("h");
        QCOMPARE(a.dtype(), DType::F16);  // loaded as stored; widened on request
        const float want16[] = {1, -2, std::ldexp(1.0f, -24), std::ldexp(1023.0f, -24), -0.0f, 65504, INFINITY, -INFINITY, NAN};
        EXPECT_EXACT(a.to_f32(), Tensor::from({9}, std::vector<float>(std::begin(want16), std::end(want16))));  // exact
        const Tensor b = f->load("b");
        QCOMPARE(b.dtype(), DType::BF16);
        EXPECT_EXACT(b.to_f32(), Tensor::from({2, 3}, {1, -3, std::ldexp(1.0f, -133), INFINITY, NAN, 0}));  // exact
        // A half view is never read as floats by mistake.
        EXPECT_ERROR_TEXT(a.data(), "holds F16 weights, not f32");
        EXPECT_ERROR_TEXT(b[0], "holds BF16 weights, not f32");
    }

    void f16AndBf16LoadIsZeroCopy() {
        // Half weights stay in the mapping: load() hands out views whose bytes lie inside the
        // file's mapped data (the same address twice, the file's bytes at the offset), kept alive
        // after the file object is gone. Only a misaligned tensor is copied.
        const std::string h16 = halves({0x3c00, 0xc000, 0x3800});  // 1, -2, 0.5
        const std::string hb16 = halves({0x3f80, 0xc040});         // 1, -3
        json h = {{"h", {{"dtype", "F16"}, {"shape", {3}}, {"data_offsets", {0, 6}}}},
                  {"b", {{"dtype", "BF16"}, {"shape", {2}}, {"data_offsets", {6, 10}}}}};
        std::string text = h.dump();
        text.append((8 - text.size() % 8) % 8, ' ');  // data region 8-byte aligned, as writers pad it
        const fs::path p = dir() / "half_view.safetensors";
        write_bytes(p, st_bytes(text, h16 + hb16));
        const auto size = fs::file_size(p);
        Tensor h1, h2, b1;
        {
            auto f = SafetensorsFile::open(p);
            h1 = f->load("h");
            h2 = f->load("h");
            b1 = f->load("b");
        }
        QCOMPARE(h1.raw(), h2.raw());  // one mapping, no copies
        QCOMPARE(h1.dtype(), DType::F16);
        QCOMPARE(b1.dtype(), DType::BF16);
        const auto h_addr = reinterpret_cast<uintptr_t>(h1.raw()), b_addr = reinterpret_cast<uintptr_t>(b1.raw());
        QCOMPARE(h_addr % 4096, uintptr_t(size - 10));  // offset of "h" in the file, within its page
        QCOMPARE(b_addr, h_addr + 6);                   // "b" right after it, in the same mapping
        QCOMPARE(std::memcmp(h1.raw(), h16.data(), 6), 0);
        EXPECT_EXACT(h1.to_f32(), Tensor::from({3}, {1, -2, 0.5f}));  // exact
        EXPECT_EXACT(b1.to_f32(), Tensor::from({2}, {1, -3}));        // exact
        // slice0 moves by whole 2-byte elements.
        QCOMPARE(reinterpret_cast<uintptr_t>(h1.slice0(1, 3).raw()), h_addr + 2);
        EXPECT_EXACT(h1.slice0(1, 3).to_f32(), Tensor::from({2}, {-2, 0.5f}));  // exact

        // A data region at an odd address: the F16 tensor is copied (aligned), values intact.
        std::string header = R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})";
        while (header.size() % 2 != 1) header += ' ';  // 8 + n is then odd
        const fs::path q = dir() / "half_unaligned.safetensors";
        write_bytes(q, st_bytes(header, halves({0x4000, 0xbc00})));  // 2, -1
        const Tensor u = SafetensorsFile::open(q)->load("w");
        QCOMPARE(u.dtype(), DType::F16);
        QCOMPARE(reinterpret_cast<uintptr_t>(u.raw()) % 2, uintptr_t(0));
        EXPECT_EXACT(u.to_f32(), Tensor::from({2}, {2, -1}));  // exact

        // save_safetensors writes each tensor in its own dtype: a half view round-trips bit for bit.
        const fs::path r = dir() / "half_resaved.safetensors";
        save_safetensors(r, {{"h", h1}, {"f", Tensor::from({1}, {7})}});
        auto g = SafetensorsFile::open(r);
        QCOMPARE(g->tensors().at("h").dtype, DType::F16);
        QCOMPARE(std::memcmp(g->load("h").raw(), h16.data(), 6), 0);
        QCOMPARE(g->load("f")[0], 7.0f);
    }

    void torchWrittenFixtureMatchesTorchConversion() {
        // mixed.safetensors was written by tools/reference/safetensors_io.py; the expected f32
        // values are torch's own .float(). Tolerance: exact (bitwise; NaN matches NaN).
        auto f = SafetensorsFile::open(fixture("mixed.safetensors"));
        QCOMPARE(f->metadata().at("format"), std::string("pt"));
        const std::pair<const char*, const char*> cases[] = {
            {"f32", "f32.npy"}, {"f16", "f16_as_f32.npy"}, {"bf16", "bf16_as_f32.npy"}};
        for (const auto& [name, npy] : cases) {
            const std::string mm = exact_mismatch(f->load(name).to_f32(), read_npy(fixture(npy)));
            QVERIFY2(mm.empty(), qPrintable(QString(name) + ": " + QString::fromStdString(mm)));
        }
    }

    void f32LoadIsZeroCopyAndKeepsMappingAlive() {
        const fs::path p = dir() / "view.safetensors";
        save_safetensors(p, {{"w", Tensor::from({4}, {1, 2, 3, 4})}});
        const auto size = fs::file_size(p);
        Tensor t1, t2;
        {
            auto f = SafetensorsFile::open(p);
            t1 = f->load("w");
            t2 = f->load("w");
        }  // the file object is gone; the tensors must keep the mapping alive
        QCOMPARE(t1.data(), t2.data());  // both views of the same mapped bytes: no copy
        QCOMPARE(reinterpret_cast<uintptr_t>(t1.data()) % 4096, uintptr_t(size - 16));  // offset in the page
        QCOMPARE(t1[3], 4.0f);

        // A data region at an odd address (header length 9): F32 is copied, values intact.
        const fs::path q = dir() / "unaligned.safetensors";
        const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        std::string padded = header;
        while (padded.size() % 4 != 1) padded += ' ';  // 8 + n is then 1 mod 4
        write_bytes(q, st_bytes(padded, floats({5, -6})));
        auto g = SafetensorsFile::open(q);
        const Tensor u = g->load("w");
        QCOMPARE(reinterpret_cast<uintptr_t>(u.data()) % 4, uintptr_t(0));
        QCOMPARE(u[0], 5.0f);
        QCOMPARE(u[1], -6.0f);
    }

    void headerLengthWithPickleLowByteIsNotMistakenForPickle() {
        // A header of exactly 128 bytes makes the file start with 0x80, the pickle PROTO byte.
        std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        header.append(128 - header.size(), ' ');
        const fs::path p = dir() / "h128.safetensors";
        write_bytes(p, st_bytes(header, floats({9})));
        QCOMPARE(static_cast<uint8_t>(read_bytes(p)[0]), uint8_t(0x80));
        QCOMPARE(SafetensorsFile::open(p)->load("w")[0], 9.0f);
    }

    // ---- safetensors: broken files ----------------------------------------------------------

    void brokenSafetensors() {
        const std::string ok_entry = R"("w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
        const std::string data16 = floats({1, 2, 3, 4});
        const std::string valid = st_bytes("{" + ok_entry + "}", data16);

        expect_st_error("empty.safetensors", "", "truncated");
        expect_st_error("short.safetensors", std::string("\x10\0\0\0\0", 5), "truncated");
        expect_st_error("cut_header.safetensors", valid.substr(0, 8 + 20), "runs past the end of the file (size 28)");
        expect_st_error("len_past_end.safetensors", u64le(1000) + "{}", "header length 1000 runs past the end of the file (size 10)");
        expect_st_error("bad_json.safetensors", st_bytes(R"({"w": {"dtype": "F32",)", ""), "header is not valid JSON");
        expect_st_error("not_object.safetensors", st_bytes("[1, 2]", ""), "header should be a JSON object, found array");
        expect_st_error("huge_number.safetensors", st_bytes(R"({"w": {"shape": [1e999999]}})", ""),
                        "header is not valid JSON: number overflow parsing '1e999999'");
        expect_st_error("entry_not_object.safetensors", st_bytes(R"({"w": 3})", ""), "tensor 'w': entry should be an object");
        expect_st_error("unknown_dtype.safetensors",
                        st_bytes(R"({"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", data16),
                        "tensor 'x': dtype 'I64' is not supported (F32, F16, BF16, F8_E4M3, F8_E5M2)");
        expect_st_error("f64.safetensors",
                        st_bytes(R"({"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})", data16),
                        "dtype 'F64' is not supported");
        expect_st_error("no_dtype.safetensors", st_bytes(R"({"x":{"shape":[4],"data_offsets":[0,16]}})", data16),
                        "tensor 'x': 'dtype' is missing");
        expect_st_error("neg_dim.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}})", data16),
                        "negative");
        expect_st_error("float_dim.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,16]}})", data16),
                        "should hold only integers");
        expect_st_error("huge_shape.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})", data16),
                        "is too large");
        expect_st_error("offsets_desc.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[16,0]}})", data16),
                        "data_offsets should be two ascending non-negative integers");
        expect_st_error("offsets_three.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8,16]}})", data16),
                        "data_offsets should be two ascending");
        expect_st_error("offsets_negative.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[-16,0]}})", data16),
                        "data_offsets should be two ascending");
        expect_st_error("out_of_range.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}})", data16),
                        "tensor 'w': data_offsets [8, 24] run past the end of the data region (16 bytes)");
        expect_st_error("size_mismatch.safetensors",
                        st_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", data16),
                        "data_offsets [0, 12] hold 12 bytes, but shape [2, 2] of F32 needs 16");
        expect_st_error("overlap.safetensors",
                        st_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                                 R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data16),
                        "tensors 'a' [0, 12) and 'b' [8, 16) overlap");
        expect_st_error("overlap_nested.safetensors",
                        st_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
                                 R"("c":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})", data16),
                        "overlap");
        expect_st_error("metadata_not_object.safetensors", st_bytes(R"({"__metadata__": [1]})", ""),
                        "__metadata__ should be an object");
        // The absurd-length check needs a file larger than the limit: a sparse 101 MB file.
        {
            const fs::path p = dir() / "absurd.safetensors";
            write_bytes(p, u64le((100ull << 20) + 8) + "{");
            fs::resize_file(p, (101ull << 20) + 64);
            EXPECT_ERROR(SafetensorsFile::open(p), "is implausibly large (over 100 MB)");
            fs::remove(p);
        }
        // Empty tensors may share an offset with their neighbours without overlapping.
        {
            const fs::path p = dir() / "zero_sized.safetensors";
            write_bytes(p, st_bytes(R"({"e":{"dtype":"F16","shape":[0,3],"data_offsets":[4,4]},)"
                                    R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                    floats({1, 2})));
            auto f = SafetensorsFile::open(p);
            QCOMPARE(f->load("e").shape(), (Shape{0, 3}));
        }
        EXPECT_ERROR(SafetensorsFile::open(dir() / "does_not_exist.safetensors"), "does_not_exist.safetensors: file not found");
        EXPECT_ERROR(SafetensorsFile::open(dir()), "is a folder");
        {
            const fs::path p = dir() / "load_missing.safetensors";
            write_bytes(p, valid);
            EXPECT_ERROR(SafetensorsFile::open(p)->load("nope"), "load_missing.safetensors: no tensor named 'nope'");
        }
    }

    void pickleCheckpointsAreRefused() {
        // Protocol-2 pickle: PROTO 2, EMPTY_DICT, BINPUT 0, MARK ... (never executed, only sniffed).
        const std::string pickle = std::string("\x80\x02}q\x00(X", 7) + std::string(40, 'K');
        const std::string zip = std::string("PK\x03\x04\x14\x00\x00\x00\x00\x00", 10) + "archive/data.pkl" + std::string(40, '\0');
        expect_st_error("model.bin", pickle, "is a pickle checkpoint (.bin); pickle files can run arbitrary code");
        expect_st_error("model.ckpt", zip, "is a pickle checkpoint (.ckpt)");
        expect_st_error("model.pt", zip, "(.pt)");
        expect_st_error("model.PTH", zip, "(.pth)");
        expect_st_error("model.pkl", pickle, "(.pkl)");
        // Renamed pickles are recognised by their first bytes.
        expect_st_error("renamed_pickle.safetensors", pickle, "is a pickle checkpoint (pickle header bytes)");
        expect_st_error("renamed_zip.safetensors", zip, "is a pickle checkpoint (zip archive of pickles)");
        expect_st_error("renamed_zip.safetensors", zip, "only reads .safetensors");
    }

    void truncationsAndHeaderFlipsNeverCrash() {
        // Every proper prefix of a valid file must be refused; ~500 random header corruptions
        // must either open (and then load) or raise dit::Error: never crash or leak another
        // exception type. Fixed seed.
        const fs::path src = dir() / "fuzz_src.safetensors";
        save_safetensors(src, {{"a", Tensor::from({2, 2}, {1, 2, 3, 4})},
                               {"b.weight", Tensor::from({3}, {5, 6, 7})},
                               {"c", Tensor({0})}},
                         {{"k", "v"}});
        const std::string good = read_bytes(src);
        uint64_t n;
        std::memcpy(&n, good.data(), 8);
        const fs::path p = dir() / "fuzz.safetensors";

        int refused = 0, other = 0;
        for (size_t len = 0; len < good.size(); ++len) {
            write_bytes(p, good.substr(0, len));
            const std::string msg = error_of([&] { SafetensorsFile::open(p); });
            if (msg.rfind(p.string(), 0) == 0) ++refused;
            else qWarning("length %zu: %s", len, msg.c_str()), ++other;
        }
        QCOMPARE(refused, int(good.size()));
        QCOMPARE(other, 0);

        std::mt19937 rng(1234);
        int opened = 0, errors = 0, foreign = 0;
        for (int variant = 0; variant < 500; ++variant) {
            std::string bytes = good;
            const int flips = 1 + static_cast<int>(rng() % 3);
            for (int k = 0; k < flips; ++k) {
                // Mostly the JSON header, sometimes the length field itself.
                const size_t at = (rng() % 8 == 0) ? rng() % 8 : 8 + rng() % n;
                bytes[at] = static_cast<char>(rng() % 4 == 0 ? (rng() & 0xff) : bytes[at] ^ (1u << (rng() % 8)));
            }
            write_bytes(p, bytes);
            try {
                auto f = SafetensorsFile::open(p);
                double sum = 0;
                for (const auto& [name, info] : f->tensors()) {
                    const Tensor t = f->load(name);
                    for (int64_t i = 0; i < t.numel(); ++i) sum += t[i];  // touch every byte
                }
                (void)sum;
                ++opened;
            } catch (const Error&) {
                ++errors;
            } catch (const std::exception& e) {
                qWarning("variant %d: non-dit exception: %s", variant, e.what());
                ++foreign;
            }
        }
        qInfo("header corruptions: %d opened, %d refused with dit::Error", opened, errors);
        QCOMPARE(foreign, 0);
        QCOMPARE(opened + errors, 500);
    }

    // ---- weight stores and the binder -------------------------------------------------------

    void shardedIndexRoundTrip() {
        const fs::path d = dir() / "sharded";
        fs::create_directories(d);
        save_safetensors(d / "model-00001-of-00002.safetensors",
                         {{"blocks.0.w", Tensor::from({2}, {1, 2})}, {"blocks.0.b", Tensor::from({1}, {3})}});
        save_safetensors(d / "model-00002-of-00002.safetensors", {{"blocks.1.w", Tensor::from({2}, {4, 5})}});
        json idx = {{"metadata", {{"total_size", 20}}},
                    {"weight_map",
                     {{"blocks.0.w", "model-00001-of-00002.safetensors"},
                      {"blocks.0.b", "model-00001-of-00002.safetensors"},
                      {"blocks.1.w", "model-00002-of-00002.safetensors"}}}};
        write_bytes(d / "model.safetensors.index.json", idx.dump(2));

        for (const fs::path& open_path : {d / "model.safetensors.index.json", d}) {
            const WeightStore s = WeightStore::open(open_path);
            QCOMPARE(s.keys(), (std::vector<std::string>{"blocks.0.b", "blocks.0.w", "blocks.1.w"}));
            QCOMPARE(s.source(), d / "model.safetensors.index.json");
            QCOMPARE(s.load("blocks.1.w")[1], 5.0f);
            QCOMPARE(s.load("blocks.0.b")[0], 3.0f);
            QCOMPARE(s.info("blocks.0.w").shape, (Shape{2}));
            EXPECT_ERROR(s.load("blocks.9.w"), "model.safetensors.index.json: no tensor named 'blocks.9.w'");
        }

        // Index naming a missing shard.
        const fs::path m = dir() / "missing_shard";
        fs::create_directories(m);
        fs::copy_file(d / "model-00001-of-00002.safetensors", m / "model-00001-of-00002.safetensors");
        write_bytes(m / "diffusion_pytorch_model.safetensors.index.json", idx.dump());
        EXPECT_ERROR(WeightStore::open(m), "diffusion_pytorch_model.safetensors.index.json: shard "
                                           "'model-00002-of-00002.safetensors' (listed for 'blocks.1.w') is missing");

        // The same key in two shards.
        const fs::path dup = dir() / "dup_shards";
        fs::create_directories(dup);
        save_safetensors(dup / "s1.safetensors", {{"k", Tensor::from({1}, {1})}});
        save_safetensors(dup / "s2.safetensors", {{"k", Tensor::from({1}, {2})}, {"j", Tensor::from({1}, {2})}});
        write_bytes(dup / "model.safetensors.index.json",
                    json({{"weight_map", {{"k", "s1.safetensors"}, {"j", "s2.safetensors"}}}}).dump());
        EXPECT_ERROR(WeightStore::open(dup), "key 'k' appears in two shards: s1.safetensors and s2.safetensors");

        // weight_map pointing at a shard that lacks the key; a missing weight_map; an escaping path.
        write_bytes(dup / "bad.index.json", json({{"weight_map", {{"zz", "s1.safetensors"}}}}).dump());
        EXPECT_ERROR(WeightStore::open(dup / "bad.index.json"), "weight_map puts 'zz' in s1.safetensors, but that shard has no such tensor");
        write_bytes(dup / "broken.index.json", "{\"weight_map\": {\"k\": \"s1.safetensors\",}}");
        EXPECT_ERROR(WeightStore::open(dup / "broken.index.json"), "broken.index.json: invalid JSON at line 1, column");
        write_bytes(dup / "nomap.index.json", R"({"metadata": {}})");
        EXPECT_ERROR(WeightStore::open(dup / "nomap.index.json"), "nomap.index.json: shard index has no \"weight_map\"");
        write_bytes(dup / "escape.index.json", json({{"weight_map", {{"k", "../../etc/x.safetensors"}}}}).dump());
        EXPECT_ERROR(WeightStore::open(dup / "escape.index.json"), "must be a file name relative to the index's folder");
    }

    void binderWidensSmallTensorsAndMapsMatrices() {
        // bind() gives f32 whatever the file stores (a copy for BF16); bind_stored() keeps the
        // file's dtype as a view of the mapping. Tolerance: exact.
        json h = {{"w", {{"dtype", "BF16"}, {"shape", {2, 2}}, {"data_offsets", {0, 8}}}},
                  {"b", {{"dtype", "BF16"}, {"shape", {2}}, {"data_offsets", {8, 12}}}}};
        std::string text = h.dump();
        text.append((8 - text.size() % 8) % 8, ' ');
        const fs::path p = dir() / "binder_bf16.safetensors";
        write_bytes(p, st_bytes(text, halves({0x3f80, 0xc040, 0x4000, 0x0000, 0x3f00, 0xbf80})));
        const WeightStore store = WeightStore::open(p);
        ParamBinder binder(store, "t", kernels::fast());
        const Tensor w = binder.bind_stored("w", {2, 2});
        const Tensor b = binder.bind("b", {2});
        binder.finish();
        QCOMPARE(w.dtype(), DType::BF16);
        QCOMPARE(w.raw(), store.load("w").raw());  // the mapping itself
        EXPECT_EXACT(w.to_f32(), Tensor::from({2, 2}, {1, -3, 2, 0}));
        QCOMPARE(b.dtype(), DType::F32);
        EXPECT_EXACT(b, Tensor::from({2}, {0.5f, -1}));
        ParamBinder bad(store, "t", kernels::fast());
        QVERIFY(bad.bind_stored("w", {4}).empty());
        QVERIFY(bad.bind_stored("nope", {1}).empty());
        bad.bind("b", {2});
        EXPECT_ERROR(bad.finish(), "missing: 'nope' (expected [1]); mis-shaped: 'w' (expected [4], found [2, 2])");
    }

    void folderResolution() {
        const fs::path both = dir() / "both";
        fs::create_directories(both);
        save_safetensors(both / "model.safetensors", {{"from_model", Tensor::from({1}, {1})}});
        save_safetensors(both / "diffusion_pytorch_model.safetensors", {{"from_diffusion", Tensor::from({1}, {1})}});
        QVERIFY(WeightStore::open(both).contains("from_diffusion"));  // diffusers name preferred

        const fs::path lone = dir() / "lone";
        fs::create_directories(lone);
        save_safetensors(lone / "weights.safetensors", {{"x", Tensor::from({1}, {1})}});
        QVERIFY(WeightStore::open(lone).contains("x"));

        const fs::path pickles = dir() / "pickles_only";
        fs::create_directories(pickles);
        write_bytes(pickles / "diffusion_pytorch_model.bin", "\x80\x02}q\x00.");
        EXPECT_ERROR(WeightStore::open(pickles), "diffusion_pytorch_model.bin: is a pickle checkpoint (.bin); pickle files can run arbitrary code");

        const fs::path empty = dir() / "no_weights";
        fs::create_directories(empty);
        write_bytes(empty / "config.json", "{}");
        EXPECT_ERROR(WeightStore::open(empty), empty.string() + ": no .safetensors or .gguf weights found");
        EXPECT_ERROR(WeightStore::open(dir() / "nowhere"), "nowhere: not found");
    }

    void binderReportsEveryProblem() {
        const fs::path p = dir() / "binder.safetensors";
        save_safetensors(p, {{"transformer_blocks.0.attn1.to_k.weight", Tensor({64, 32})},
                             {"transformer_blocks.0.attn1.to_v.weight", Tensor({64, 64})},
                             {"proj_out.bias", Tensor({8})},
                             {"pos_embed.freqs", Tensor({4})},
                             {"stray.weight", Tensor({2})},
                             {"other.stray", Tensor({2})}});
        const WeightStore s = WeightStore::open(p);

        ParamBinder ok(s, "transformer", kernels::fast());
        ok.ignore_prefix("pos_embed.");
        ok.ignore_prefix("stray");
        ok.ignore_prefix("other.");
        QCOMPARE(ok.bind("transformer_blocks.0.attn1.to_k.weight", {64, 32}).shape(), (Shape{64, 32}));
        QVERIFY(!ok.bind("transformer_blocks.0.attn1.to_v.weight", {64, 64}).empty());
        QVERIFY(!ok.bind_optional("proj_out.bias", {8}).empty());
        QVERIFY(ok.bind_optional("proj_out.absent_bias", {8}).empty());  // optional: no problem
        ok.finish();                                                     // nothing to report

        ParamBinder b(s, "transformer", kernels::fast());
        b.ignore_prefix("pos_embed.");
        QVERIFY(b.bind("transformer_blocks.0.attn1.to_q.weight", {64, 64}).empty());
        QVERIFY(b.bind("transformer_blocks.0.attn1.to_k.weight", {64, 64}).empty());
        b.bind("transformer_blocks.0.attn1.to_v.weight", {64, 64});
        QVERIFY(b.bind_optional("proj_out.bias", {16}).empty());  // present but mis-shaped: reported
        const std::string msg = error_of([&] { b.finish(); });
        qInfo("%s", msg.c_str());
        const std::string want = "transformer weights (" + p.string() +
                                 "): 5 problems: missing: 'transformer_blocks.0.attn1.to_q.weight' (expected [64, 64]); "
                                 "mis-shaped: 'transformer_blocks.0.attn1.to_k.weight' (expected [64, 64], found [64, 32]), "
                                 "'proj_out.bias' (expected [16], found [8]); unexpected: 'other.stray', 'stray.weight'";
        QCOMPARE(msg, want);

        // Long lists are cut after 20 entries.
        ParamBinder many(s, "vae", kernels::fast());
        for (int i = 0; i < 25; ++i) many.bind("decoder.k" + std::to_string(i), {1});
        many.ignore_prefix("");
        EXPECT_ERROR(many.finish(), "vae weights (" + p.string() + "): 25 problems: missing: 'decoder.k0' (expected [1])");
        EXPECT_ERROR(many.finish(), "'decoder.k19' (expected [1]) and 5 more");
    }

};

QTEST_APPLESS_MAIN(TestLoaders)
#include "test_loaders.moc"
