// Small file formats the engine reads: JSON configs (with Python's non-finite literals),
// diffusers folders, .npy arrays, and the image <-> tensor conversion. Broken inputs must raise
// a dit::Error naming the file and the field or fault.
#include <QtTest>

#include <cmath>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "tests/common/test_helpers.h"
#include "tests/engine/loader_helpers.h"
#include "engine/error.h"
#include "engine/image.h"
#include "engine/io/config.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;
using nlohmann::json;

class TestFormats : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    // ---- configs and diffusers folders ------------------------------------------------------

    // Python's json writes Infinity/-Infinity/NaN (PixArt's scheduler config has
    // "lambda_min_clipped": -Infinity); they are read as numbers, and only outside strings.
    void configNonFiniteLiterals() {
        const fs::path f = dir() / "scheduler_config.json";
        // (A plain literal: moc misreads raw strings that hold \".)
        write_bytes(f, "{\"lambda_min_clipped\": -Infinity, \"hi\": Infinity, \"n\": NaN,"
                       " \"s\": \"Infinity and \\\"NaN\\\"\", \"list\": [1, -Infinity]}");
        const Config c = Config::read(f);
        QVERIFY(std::isinf(c.get_float("lambda_min_clipped")) && c.get_float("lambda_min_clipped") < 0);
        QVERIFY(std::isinf(c.get_float("hi")) && c.get_float("hi") > 0);
        QVERIFY(std::isnan(c.get_float("n")));
        QCOMPARE(c.get_string("s"), std::string("Infinity and \"NaN\""));
        QVERIFY(std::isinf(c.json()["list"][1].get<double>()));
        write_bytes(f, R"({"a": Infinit})");
        EXPECT_ERROR(Config::read(f), "invalid JSON at line 1");
    }

    void configParsingAndFields() {
        const fs::path bad = dir() / "bad_config.json";
        write_bytes(bad, "{\n  \"num_layers\": 28,\n  \"sample_size\": ,\n  \"x\": 1\n}\n");
        EXPECT_ERROR(Config::read(bad), bad.string() + ": invalid JSON at line 3, column 18: syntax error");
        write_bytes(bad, "{\"a\": 1,\n\n   \"b\": [1, 2\n");
        EXPECT_ERROR(Config::read(bad), "invalid JSON at line 4, column 1");  // unexpected end of input
        write_bytes(bad, "");
        EXPECT_ERROR(Config::read(bad), "invalid JSON at line 1, column 1");
        write_bytes(bad, "[1, 2]");
        EXPECT_ERROR(Config::read(bad), "should hold a JSON object, found array");
        // Valid syntax that no double holds (found by fuzz/fuzz_model_config).
        write_bytes(bad, "{\"num_layers\": 1e999999999999}");
        EXPECT_ERROR(Config::read(bad), bad.string() + ": invalid JSON: number overflow parsing '1e999999999999'");
        EXPECT_ERROR(Config::read(dir() / "absent.json"), "absent.json: file is missing");

        const fs::path good = dir() / "config.json";
        write_bytes(good, R"({"_class_name": "PixArtTransformer2DModel", "num_layers": 28, "patch_size": 2.0,
            "sample_size": "64", "norm_eps": 1e-6, "bad_float": 8.5, "use_bias": true,
            "block_out_channels": [128, 256.0, 512], "bad_list": [1, "two"], "down_block_types": ["A", "B"],
            "cross_attention_dim": null})");
        const Config c = Config::read(good);
        QCOMPARE(c.get_int("num_layers"), int64_t(28));
        QCOMPARE(c.get_int("patch_size"), int64_t(2));  // integral float accepted
        QCOMPARE(c.get_int("attention_head_dim", 72), int64_t(72));
        QCOMPARE(c.get_int("cross_attention_dim", 1152), int64_t(1152));  // null means absent
        QVERIFY(!c.has("cross_attention_dim"));
        QCOMPARE(c.get_float("norm_eps"), 1e-6);
        QCOMPARE(c.get_float("num_layers"), 28.0);
        QCOMPARE(c.get_bool("use_bias", false), true);
        QCOMPARE(c.get_string("_class_name"), std::string("PixArtTransformer2DModel"));
        QCOMPARE(c.get_ints("block_out_channels"), (std::vector<int64_t>{128, 256, 512}));
        QCOMPARE(c.get_strings("down_block_types"), (std::vector<std::string>{"A", "B"}));
        EXPECT_ERROR(c.get_int("num_attention_heads"), good.string() + ": field 'num_attention_heads' is missing");
        EXPECT_ERROR(c.get_int("sample_size"), good.string() + ": field 'sample_size' should be an integer, found string \"64\"");
        EXPECT_ERROR(c.get_int("bad_float"), "field 'bad_float' should be an integer, found number 8.5");
        EXPECT_ERROR(c.get_int("sample_size", 5), "should be an integer, found string");  // present but wrong: no fallback
        EXPECT_ERROR(c.get_float("sample_size"), "field 'sample_size' should be a number, found string");
        EXPECT_ERROR(c.get_string("num_layers"), "field 'num_layers' should be a string, found number 28");
        EXPECT_ERROR(c.get_bool("num_layers", false), "field 'num_layers' should be true or false, found number 28");
        EXPECT_ERROR(c.get_ints("bad_list"), "field 'bad_list' should be a list of integers, found string \"two\" at index 1");
        EXPECT_ERROR(c.get_ints("num_layers"), "field 'num_layers' should be a list of integers, found number 28");
        EXPECT_ERROR(c.get_strings("block_out_channels"), "should be a list of strings, found number 128 at index 0");
    }

    void diffusersFolder() {
        const fs::path root = dir() / "pixart";
        fs::create_directories(root / "transformer");
        EXPECT_ERROR(DiffusersFolder::open(root), root.string() + ": not a diffusers model folder: model_index.json is missing");
        EXPECT_ERROR(DiffusersFolder::open(dir() / "no_such_model"), "no_such_model: folder not found");
        write_bytes(root / "model_index.json", R"({
            "_class_name": "PixArtAlphaPipeline", "_diffusers_version": "0.25.0",
            "transformer": ["diffusers", "PixArtTransformer2DModel"],
            "vae": ["diffusers", "AutoencoderKL"],
            "text_encoder": ["transformers", "T5EncoderModel"],
            "safety_checker": [null, null]})");
        const DiffusersFolder f = DiffusersFolder::open(root);
        QCOMPARE(f.component("transformer"), root / "transformer");
        QCOMPARE(f.component_class("transformer"), std::string("PixArtTransformer2DModel"));
        QCOMPARE(f.component_class("text_encoder"), std::string("T5EncoderModel"));
        QCOMPARE(f.model_index().get_string("_class_name"), std::string("PixArtAlphaPipeline"));
        EXPECT_ERROR(f.component("vae"), (root / "vae").string() + ": component folder is missing (listed in model_index.json)");
        EXPECT_ERROR(f.component("controlnet"), "model_index.json: no component 'controlnet' (listed: safety_checker, text_encoder, transformer, vae)");
        EXPECT_ERROR(f.component("_class_name"), "no component '_class_name'");
        EXPECT_ERROR(f.component("safety_checker"), "component 'safety_checker' is not included in this model");

        const fs::path broken = dir() / "broken_index";
        fs::create_directories(broken);
        write_bytes(broken / "model_index.json", "{\"transformer\": [\"diffusers\" \"X\"]}");
        // nlohmann stops after the offending token, the string "X" ending at column 32.
        EXPECT_ERROR(DiffusersFolder::open(broken), "model_index.json: invalid JSON at line 1, column 32: "
                                                    "syntax error while parsing array - unexpected string literal");
    }

    // ---- .npy ----------------------------------------------------------------------------------

    void npyRoundTripAndVariants() {
        const Shape shapes[] = {{1, 4, 8, 8}, {5}, {}, {0, 3}, {2, 1, 3}};
        std::mt19937 rng(7);
        std::normal_distribution<float> nd;
        for (const Shape& s : shapes) {
            Tensor t(s);
            for (int64_t i = 0; i < t.numel(); ++i) t[i] = nd(rng);
            const fs::path p = dir() / "rt.npy";
            write_npy(p, t);
            QCOMPARE(fs::file_size(p) % 64, (uintmax_t(t.numel() * 4) % 64));  // header padded to 64
            EXPECT_EXACT(read_npy(p), t);  // tolerance: exact
        }
        // Written by numpy: format 2.0, f8 and f2 converted, a 0-d array. Tolerance: exact (the
        // values are multiples of 1/4, representable in every format).
        const Tensor want = Tensor::from({2, 3}, {-0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f});
        for (const char* name : {"npy_v2_f4.npy", "npy_f8.npy", "npy_f2.npy"}) EXPECT_EXACT(read_npy(fixture(name)), want);
        const Tensor s = read_npy(fixture("npy_scalar.npy"));
        QCOMPARE(s.shape(), Shape{});
        QCOMPARE(s[0], 2.5f);
    }

    void brokenNpy() {
        EXPECT_ERROR(read_npy(fixture("npy_fortran.npy")), "npy_fortran.npy: arrays in Fortran order are not supported");
        EXPECT_ERROR(read_npy(fixture("npy_i8.npy")), "npy_i8.npy: unsupported dtype '<i8'");
        EXPECT_ERROR(read_npy(fixture("npy_big_endian.npy")), "unsupported dtype '>f4'");
        const std::string good = read_bytes(fixture("npy_v2_f4.npy"));
        const fs::path p = dir() / "broken.npy";
        write_bytes(p, "PK\x03\x04 not numpy at all");
        EXPECT_ERROR(read_npy(p), p.string() + ": not a .npy file (bad magic");
        write_bytes(p, good.substr(0, good.size() - 3));
        EXPECT_ERROR(read_npy(p), p.string() + ": truncated data: shape [2, 3] of '<f4' needs 24 bytes, the file holds 21");
        write_bytes(p, good.substr(0, 40));
        EXPECT_ERROR(read_npy(p), "truncated .npy header");
        std::string v9 = good;
        v9[6] = 9;
        write_bytes(p, v9);
        EXPECT_ERROR(read_npy(p), "unsupported .npy format version 9.0");
        std::string garbled = good;
        garbled.replace(good.find("'shape'") + 10, 1, "x");
        write_bytes(p, garbled);
        EXPECT_ERROR(read_npy(p), "bad .npy header: shape should be a tuple of non-negative integers");
        EXPECT_ERROR(read_npy(dir() / "absent.npy"), "absent.npy: file not found");
        EXPECT_ERROR(write_npy(dir() / "no_dir" / "x.npy", Tensor({2})), "x.npy: cannot write");
    }

    void filesReadByNumpyAndTheReferenceReader() {
        // What we write must load in numpy and in tools/reference/safetensors_io.py unchanged.
        if (!QFileInfo::exists("/usr/bin/python3")) QSKIP("/usr/bin/python3 is not installed");
        const Tensor a = Tensor::from({2, 3}, {1, 2, 3, 4, 5, -6.5f});
        write_npy(dir() / "interop.npy", a);
        save_safetensors(dir() / "interop.safetensors", {{"a", a}, {"b", Tensor::from({1}, {7})}}, {{"format", "pt"}});
        const QString script = QString(R"(
import sys
import numpy as np
sys.path.insert(0, "%1/tools/reference")
import safetensors_io
want = np.array([[1, 2, 3], [4, 5, -6.5]], dtype=np.float32)
x = np.load("%2/interop.npy")
assert x.dtype == np.float32 and x.shape == (2, 3) and (x == want).all(), x
t = safetensors_io.load("%2/interop.safetensors")
assert (t["a"].numpy() == want).all() and t["b"].tolist() == [7.0], t
print("ok")
)").arg(DIT_SOURCE_DIR, tmp_.path());
        QProcess py;
        py.start("/usr/bin/python3", {"-c", script});
        QVERIFY(py.waitForFinished(120000));
        const QString out = QString::fromUtf8(py.readAllStandardOutput() + py.readAllStandardError());
        if (out.contains("ModuleNotFoundError")) QSKIP(qPrintable("python modules missing: " + out));
        QVERIFY2(py.exitCode() == 0 && out.trimmed() == "ok", qPrintable(out));
    }

    // ---- images --------------------------------------------------------------------------------

    void imageMatchesDiffusersPostprocess() {
        // image_rgb.npy is diffusers' postprocess of image_x.npy, including 191 values that land
        // exactly on .5 (numpy rounds half to even). Tolerance: exact, every byte.
        const Tensor x = read_npy(fixture("image_x.npy"));
        const Tensor want = read_npy(fixture("image_rgb.npy"));  // [H, W, 3]
        const Image img = image_from_tensor(x);
        QCOMPARE(img.height, int(x.dim(2)));
        QCOMPARE(img.width, int(x.dim(3)));
        int mismatches = 0, max_err = 0;
        for (size_t i = 0; i < img.rgb.size(); ++i) {
            const int d = std::abs(int(img.rgb[i]) - int(want[int64_t(i)]));
            mismatches += d != 0;
            max_err = std::max(max_err, d);
        }
        QVERIFY2(mismatches == 0, qPrintable(QString("%1 bytes differ, max abs err %2").arg(mismatches).arg(max_err)));
    }

    void imageRoundTripAndShapes() {
        Image img;
        img.width = 16;
        img.height = 16;
        img.rgb.resize(16 * 16 * 3);
        for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<uint8_t>(i * 7 % 256);
        const Tensor t = tensor_from_image(img);
        QCOMPARE(t.shape(), (Shape{1, 3, 16, 16}));
        QCOMPARE(t[0], -1.0f);                   // pixel 0, red = 0
        QCOMPARE(t[16 * 16], 2.0f * 7 / 255 - 1);  // pixel 0, green = 7
        QVERIFY(image_from_tensor(t).rgb == img.rgb);  // every 8-bit value survives the round trip

        Tensor extremes = Tensor::from({1, 3, 1, 2}, {-5, 5, NAN, INFINITY, -INFINITY, 0});
        const Image e = image_from_tensor(extremes);
        QCOMPARE(int(e.rgb[0]), 0);    // R of pixel 0: clamped
        QCOMPARE(int(e.rgb[3]), 255);  // R of pixel 1: clamped
        QCOMPARE(int(e.rgb[1]), 0);    // NaN -> 0
        QCOMPARE(int(e.rgb[4]), 255);  // inf
        QCOMPARE(int(e.rgb[2]), 0);    // -inf
        QCOMPARE(int(e.rgb[5]), 128);  // 0 -> 127.5 -> ties to even: 128
        EXPECT_ERROR(image_from_tensor(Tensor({1, 4, 2, 2})), "expected a [1, 3, H, W] tensor, got [1, 4, 2, 2]");
        Image bad;
        bad.width = 3;
        bad.height = 2;
        bad.rgb.resize(5);
        EXPECT_ERROR(tensor_from_image(bad), "tensor_from_image: image is 3x2 with 5 bytes");
    }

    void psnrByHand() {
        Image a;
        a.width = 2;
        a.height = 1;
        a.rgb = {0, 10, 20, 30, 40, 50};
        QVERIFY(std::isinf(psnr(a, a)));
        Image b = a;
        b.rgb[0] = 3;  // one byte off by 3 of six: MSE 1.5
        QCOMPARE(psnr(a, b), 10 * std::log10(255.0 * 255.0 / 1.5));
        QCOMPARE(psnr(b, a), psnr(a, b));
        Image wide = a;
        wide.width = 1;
        wide.height = 2;
        EXPECT_ERROR(psnr(a, wide), "psnr: images of 2x1 and 1x2 pixels");
    }
};

QTEST_APPLESS_MAIN(TestFormats)
#include "test_formats.moc"
