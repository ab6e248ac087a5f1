// The tiny fixture models and whole generations on the CUDA backend against the reference
// (tests/backends/pipeline_parity.cpp has the cases and bounds). Skips with the reason when this
// machine has no usable GPU.
#include <QtTest>

#include "kernels/cuda/cuda.h"
#include "tests/backends/pipeline_parity.h"

using namespace dit::kernels::cuda;
namespace parity = dit::kernels::parity;

class TestCudaPipeline : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        const std::string why = unavailable_reason();
        if (!why.empty()) QSKIP(qPrintable(QString("no GPU to run the CUDA pipeline on: %1").arg(why.c_str())));
    }

    void modelsAndPipelinesMatchReference() {
        const auto results = parity::run_pipelines(DIT_FIXTURES, "cuda");
        QVERIFY(results.size() >= 10);
        for (const auto& r : results) {
            qInfo("%s", parity::format(r).c_str());
            QVERIFY2(r.pass(), parity::format(r).c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestCudaPipeline)
#include "test_cuda_pipeline.moc"
