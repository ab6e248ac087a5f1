// The engine under a device backend's memory contract. kernels::isolated() runs fast()'s ops on
// memory that host code may not read (Tensor::data() refuses it), so every pipeline path that
// runs here, on a CPU, and gives fast()'s image bit for bit, keeps its activations behind the op
// interface as the CUDA backend needs: a forgotten host loop fails this suite with a message
// instead of faulting on a GPU. The CUDA kernels themselves are checked op by op in
// tests/kernels/test_cuda_ops.cpp.
#include <QtTest>

#include <filesystem>
#include <stdexcept>

#include "engine/models/autoencoder_kl/autoencoder_kl.h"
#include "engine/models/t5/t5_encoder.h"
#include "engine/pipeline/engine.h"
#include "engine/random.h"
#include "tests/backends/parity.h"
#include "tests/backends/pipeline_parity.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = DIT_FIXTURES;

Request tiny_request() { return kernels::parity::tiny_request(DIT_FIXTURES); }
Mask right_half() { return kernels::parity::right_half(96, 64); }

Image generate(Request r, const std::string& backend) {
    Engine engine;
    Callbacks cb;
    cb.preview = [](const Image& preview, const Progress&) { QVERIFY(!preview.rgb.empty()); };
    r.backend = backend;
    return engine.generate(r, cb).image;
}

}  // namespace

class TestDeviceMemory : public QObject {
    Q_OBJECT

private slots:
    void host_code_cannot_read_device_memory() {
        Tensor t = Tensor::on(kernels::isolated(), {2, 3});
        QVERIFY(t.device() == &kernels::isolated());
        const QString msg = [&] {
            try {
                (void)t.data();
            } catch (const std::logic_error& e) {
                return QString(e.what());
            }
            return QString("<no error>");
        }();
        QVERIFY2(msg.contains("cpu-isolated memory") && msg.contains("to_host()"), qPrintable(msg));
        // Zero-filled, and the moves both ways keep every value.
        const Tensor host = t.to_host();
        QVERIFY(host.device() == nullptr);
        for (int64_t i = 0; i < 6; ++i) QCOMPARE(host[i], 0.0f);
        const Tensor values = Tensor::from({2, 3}, {1, -2, 3.5f, 4, 5, 6});
        const Tensor back = values.to(kernels::isolated()).clone().to_host();
        QCOMPARE(max_abs_diff(back, values), 0.0);
        // The CPU backends keep host tensors as they are: no copies there.
        QCOMPARE(values.to(kernels::fast()).data(), values.data());
    }

    void pipelines_match_fast_bit_for_bit_data() {
        QTest::addColumn<QString>("name");
        for (const char* n : {"txt2img", "euler_a", "lcm", "no_cfg", "img2img", "inpaint_full", "inpaint_crop",
                              "inpaint_lazy", "regions", "regions_lazy", "controls"})
            QTest::newRow(n) << QString(n);
    }
    void pipelines_match_fast_bit_for_bit() {
        QFETCH(QString, name);
        Request r = tiny_request();
        if (name == "euler_a") r.sampler = "euler_a";
        if (name == "lcm") r.sampler = "lcm";
        if (name == "no_cfg") r.cfg = 1.0f;
        if (name.startsWith("img2img") || name.startsWith("inpaint") || name == "regions_lazy") {
            r.init_image = generate(tiny_request(), "cpu");
            r.strength = 0.7f;
        }
        if (name.startsWith("inpaint") || name == "regions_lazy") {
            r.mask = right_half();
            r.inpaint_mode = name == "inpaint_crop" ? "crop" : (name == "inpaint_full" ? "full" : "lazy");
            r.lazy_refresh = 2;
        }
        if (name.startsWith("regions")) r.regions = {{"a blue square", right_half()}};
        if (name == "controls") {
            ControlInput c;
            c.type = "edges";
            c.adapter_dir = kFixtures / "controlnet" / "alpha_edges";
            c.image = kernels::parity::edge_strokes(96, 64);
            c.weight = 0.8f;
            r.controls = {c};
        }
        const Image want = generate(r, "cpu");
        const Image got = generate(r, "cpu-isolated");
        QCOMPARE(got.width, want.width);
        QVERIFY2(got.rgb == want.rgb, qPrintable(name + ": differs from fast()"));
    }

    // The harness the GPU runs (tests/backends), on the CPU through the device memory calls: it
    // must pass where the ops are right, so on a GPU only the kernels can fail it.
    void backend_checks_pass_on_isolated() {
        for (const auto& r : kernels::parity::run_all(kernels::isolated(), 21))
            QVERIFY2(r.pass(), kernels::parity::format(r).c_str());
        for (const auto& r : kernels::parity::run_pipelines(DIT_FIXTURES, "cpu-isolated")) {
            qInfo("%s", kernels::parity::format(r).c_str());
            QVERIFY2(r.pass(), kernels::parity::format(r).c_str());
        }
    }

    // A device backend that runs out of memory: the same image, made on the CPU, and a notice.
    void out_of_memory_falls_back_to_the_cpu() {
        const Request r = tiny_request();
        const Image want = generate(r, "cpu");
        Engine engine;
        Callbacks cb;
        Request on_device = r;
        on_device.backend = "cpu-isolated";
        kernels::isolated().set_memory_limit(64 * 1024);  // far below the tiny model's weights
        Result got;
        const QString error = error_text([&] { got = engine.generate(on_device, cb); });
        kernels::isolated().set_memory_limit(0);
        QCOMPARE(error, QString("<no error>"));
        QVERIFY2(got.image.rgb == want.rgb, "the fallback's image differs from the CPU's");
        const QString notice = QString::fromStdString(got.notice);
        QVERIFY2(notice.startsWith("cpu-isolated ran out of memory (cpu-isolated: ") &&
                     notice.endsWith("generated on the CPU instead"),
                 qPrintable(notice));
        // The limit lifted, the next request runs on the device backend again, with no notice.
        const Result again = engine.generate(on_device, cb);
        QVERIFY(again.notice.empty());
        QVERIFY(again.image.rgb == want.rgb);
    }

    // The components the pipelines above reach only in one configuration.
    void t5_variants_and_vae_match_fast() {
        for (const char* dir : {"text_encoder", "text_encoder_relu"}) {
            const auto a = T5EncoderModel::load(kFixtures / "t5" / dir, kernels::fast());
            const auto b = T5EncoderModel::load(kFixtures / "t5" / dir, kernels::isolated());
            const std::vector<int32_t> ids{5, 9, 1, 0, 7, 3, 1, 0}, mask{1, 1, 1, 0, 1, 1, 1, 0};
            const Tensor want = a->forward(ids, mask, 2, 4, kernels::fast());
            const Tensor got = b->forward(ids, mask, 2, 4, kernels::isolated());
            QVERIFY(got.device() == nullptr);
            QCOMPARE(max_abs_diff(got, want), 0.0);
        }
        for (const char* dir : {"vae", "vae_legacy"}) {
            const auto a = AutoencoderKL::load(kFixtures / "vae" / dir, kernels::fast());
            const auto b = AutoencoderKL::load(kFixtures / "vae" / dir, kernels::isolated());
            const int f = a->config().downscale();
            const Tensor image = randn({1, 3, 2 * f, 3 * f}, 3);
            const Tensor z = a->encode(image, kernels::fast());
            QCOMPARE(max_abs_diff(b->encode(image, kernels::isolated()), z), 0.0);
            QCOMPARE(max_abs_diff(b->decode(z, kernels::isolated()), a->decode(z, kernels::fast())), 0.0);
        }
    }
};

QTEST_GUILESS_MAIN(TestDeviceMemory)
#include "test_device_memory.moc"
