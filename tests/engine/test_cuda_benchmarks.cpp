// The GPU benchmarks' plumbing, checked where there is no GPU, so that a session with a few
// minutes of device time does not spend them on a broken benchmark: the end-to-end benchmark's
// PyTorch side writes its pipeline folder and runs with every model off the CPU (PyTorch's meta
// device refuses CPU tensors as CUDA does), and the whole comparison runs on the CPU backend with
// an image that agrees with PyTorch's.
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Ran {
    int code = -1;
    QString out;
};

Ran run(const QString& program, const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    Ran r;
    if (!p.waitForFinished(300000)) return r;
    r.code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
    return r;
}

const QString kPython = "/usr/bin/python3";
const QString kScript = DIT_SOURCE_DIR "/tools/reference/bench_pipeline_torch.py";

}  // namespace

class TestCudaBenchmarks : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        if (!QFileInfo::exists(kPython)) QSKIP("/usr/bin/python3 is not installed");
        const Ran torch = run(kPython, {"-c", "import torch, numpy"});
        if (torch.code != 0) QSKIP(qPrintable("PyTorch is not installed for /usr/bin/python3: " + torch.out));
    }

    void referencePipelineRunsOffTheCpu() {
        const QString dir = tmp_.filePath("reference");
        Ran r = run(kPython, {kScript, "make", dir, "--scale", "tiny", "--size", "128"});
        QVERIFY2(r.code == 0, qPrintable(r.out));
        for (const char* part : {"model_index.json", "text_encoder/model.safetensors", "transformer/config.json",
                                 "vae/diffusion_pytorch_model.safetensors", "scheduler/scheduler_config.json",
                                 "tokenizer/spiece.model", "complete"})
            QVERIFY2(QFileInfo::exists(dir + "/" + part), part);
        r = run(kPython, {kScript, "check-devices", dir});
        QVERIFY2(r.code == 0 && r.out.trimmed().endsWith("devices ok"), qPrintable(r.out));
    }

    void pipelineBenchmarkRunsOnTheCpu() {
        const QString bench = DIT_BINARY_DIR "/bench/cuda/bench_pipeline_cuda";
        if (!QFileInfo::exists(bench)) QSKIP("bench_pipeline_cuda is not built (no nvcc)");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("DIT_PYTHON", kPython);
        const Ran r = run(bench, {"--backend", "cpu", "--scale", "tiny", "--size", "128", "--runs", "1"}, env);
        QVERIFY2(r.code == 0, qPrintable(r.out));
        const auto agree = QRegularExpression(R"(images agree to ([0-9.]+|inf) dB)").match(r.out);
        QVERIFY2(agree.hasMatch(), qPrintable(r.out));
        // Both sides in f32 on the same weights, tokens and noise: the same image but for rounding.
        QVERIFY2(agree.captured(1) == "inf" || agree.captured(1).toDouble() >= 60.0, qPrintable(r.out));
        const QStringList lines = r.out.trimmed().split('\n');
        QVERIFY2(lines.last().startsWith("end to end 128 px, 4 LCM steps, VAE decode included:"), qPrintable(r.out));
    }

private:
    QTemporaryDir tmp_;
};

QTEST_APPLESS_MAIN(TestCudaBenchmarks)
#include "test_cuda_benchmarks.moc"
