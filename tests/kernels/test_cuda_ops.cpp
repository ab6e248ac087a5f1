// The CUDA backend against the reference, op by op (tests/backends/parity.cpp has the cases
// and tolerances). Skips with the reason when this machine has no usable GPU; on a GPU machine
// it runs every check twice, on fresh inputs each time: attention on the tensor cores, then exact.
#include <QtTest>

#include "kernels/cuda/cuda.h"
#include "tests/backends/parity.h"

using namespace dit::kernels::cuda;
namespace parity = dit::kernels::parity;

class TestCudaOps : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        const std::string why = unavailable_reason();
        if (!why.empty()) QSKIP(qPrintable(QString("no GPU to test the CUDA backend on: %1").arg(why.c_str())));
        const DeviceInfo d = device_info();
        qInfo("device: %s (sm_%d%d, %d SMs)", d.name.c_str(), d.major, d.minor, d.multiprocessors);
    }

    void parityWithReference() {
        for (uint32_t seed : {11u, 12u}) {
            const bool exact = seed == 12u;  // tensor-core attention, then the exact f32 kernel
            backend().set_exact_attention(exact);
            const auto results = parity::run_all(backend(), seed, {true, !exact});
            backend().set_exact_attention(false);
            QVERIFY(results.size() > 30);
            for (const auto& r : results) {
                qInfo("%s", parity::format(r).c_str());
                QVERIFY2(r.pass(), parity::format(r).c_str());
            }
        }
    }

    // A matrix is uploaded once and reused; dropping the cache frees it.
    void weightCacheUploadsOnce() {
        CudaBackend& gpu = backend();
        gpu.drop_cached_weights();
        std::vector<uint16_t> w(64 * 32, dit::kernels::float_to_bf16(0.5f));
        std::vector<float> x(4 * 32, 1.0f), y(4 * 64, NAN);
        float* dx = static_cast<float*>(gpu.allocate(x.size() * 4));
        float* dy = static_cast<float*>(gpu.allocate(y.size() * 4));
        gpu.upload(dx, x.data(), x.size() * 4);
        for (int i = 0; i < 3; ++i) gpu.linear(dx, dit::kernels::WeightRef{w.data(), dit::kernels::DType::BF16}, nullptr, dy, 4, 64, 32);
        QCOMPARE(gpu.cached_weight_bytes(), w.size() * 2);
        gpu.download(y.data(), dy, y.size() * 4);
        for (float v : y) QCOMPARE(v, 16.0f);  // 32 x 1.0 x 0.5, exact in bf16 and f32
        gpu.drop_cached_weights();
        QCOMPARE(gpu.cached_weight_bytes(), size_t(0));
        gpu.release(dx);
        gpu.release(dy);
    }
};

QTEST_GUILESS_MAIN(TestCudaOps)
#include "test_cuda_ops.moc"
