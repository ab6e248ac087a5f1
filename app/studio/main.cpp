// dit-studio: the GUI entry point. With no options it opens an empty canvas on the default
// model. --prompt/--generate-on-start/--screenshot script a run (used for docs/screenshots).
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>
#include <cmath>
#include <cstdio>
#include <memory>

#include "ui/canvas_view.h"
#include "studio/control/pose.h"
#include "ui/main_window.h"
#include "ui/pose_panel.h"
#include "ui/theme.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("dit-studio"));
    QApplication::setOrganizationName(QStringLiteral("DiT Studio"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    dit::ui::apply_dark_theme(app);

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("DiT Studio: paint masks, write prompts, watch images form."));
    cli.addHelpOption();
    cli.addVersionOption();
    const QCommandLineOption model({"m", "model"}, "Model folder (diffusers PixArt layout).", "dir");
    const QCommandLineOption prompt({"p", "prompt"}, "Prompt to start with.", "text");
    const QCommandLineOption negative("negative", "Negative prompt to start with.", "text");
    const QCommandLineOption size("size", "Canvas and image size, WxH (default: the model's recommended size).", "WxH");
    const QCommandLineOption steps("steps", "Sampling steps.", "n");
    const QCommandLineOption seed("seed", "Fixed seed (default: random).", "n");
    const QCommandLineOption generate("generate-on-start", "Generate once the window is shown.");
    const QCommandLineOption shot("screenshot", "After the first result, save the window to FILE and quit.", "file");
    const QCommandLineOption shot_step("screenshot-step", "With --screenshot: grab at this step of the run instead, while the preview forms.", "n");
    const QCommandLineOption demo("demo", "Paint a sample mask stroke, add a person and a region (for screenshots).");
    const QCommandLineOption no_autosave("no-autosave", "Neither autosave nor offer crash recovery.");
    const QCommandLineOption autosave_interval("autosave-interval", "Autosave every N seconds while there are unsaved edits (default 60).", "n", "60");
    const QCommandLineOption recover("recover", "Restore the newest autosave a crash left without asking.");
    cli.addOptions({model, prompt, negative, size, steps, seed, generate, shot, shot_step, demo, no_autosave,
                    autosave_interval, recover});
    cli.addPositionalArgument("file", "A project folder, an image, or a result PNG to open.", "[file]");
    cli.process(app);

    dit::ui::MainWindow::Options options;
    if (cli.isSet(model)) options.model_dir = QFileInfo(cli.value(model)).absoluteFilePath();
    if (cli.isSet(size)) {
        const QStringList wh = cli.value(size).split('x');
        if (wh.size() != 2 || wh[0].toInt() < 16 || wh[1].toInt() < 16) {
            std::fprintf(stderr, "dit-studio: --size must be WxH (e.g. 512x512), got '%s'\n", qPrintable(cli.value(size)));
            return 2;
        }
        options.canvas = QSize(wh[0].toInt(), wh[1].toInt());
    }
    options.autosave = !cli.isSet(no_autosave) && !cli.isSet(shot);
    options.remember_layout = !cli.isSet(shot);  // screenshots show the default layout
    bool interval_ok = false;
    options.autosave_interval_s = cli.value(autosave_interval).toInt(&interval_ok);
    if (!interval_ok || options.autosave_interval_s < 1) {
        std::fprintf(stderr, "dit-studio: --autosave-interval must be a whole number of seconds >= 1, got '%s'\n",
                     qPrintable(cli.value(autosave_interval)));
        return 2;
    }

    dit::ui::MainWindow window(options);
    auto* doc = window.document();
    if (cli.isSet(prompt)) doc->setPrompt(cli.value(prompt));
    if (cli.isSet(negative)) doc->setNegativePrompt(cli.value(negative));
    auto s = doc->settings();
    if (cli.isSet(steps)) s.steps = cli.value(steps).toInt();
    if (cli.isSet(seed)) {
        s.seed = cli.value(seed).toULongLong();
        s.random_seed = false;
    }
    doc->setSettings(s, QObject::tr("settings"));
    doc->sealMerging();
    if (cli.isSet(demo)) {
        // A soft stroke across the lower part of the canvas, as a user would paint it.
        const QSize c = doc->canvasSize();
        dit::studio::MaskBrush brush;
        brush.setSize(c.width() / 6.0);
        brush.setHardness(0.4);
        QImage& mask = doc->beginStroke({dit::studio::Document::PaintTarget::Mask});
        brush.begin(&mask, QPointF(c.width() * 0.2, c.height() * 0.75));
        for (int i = 1; i <= 20; ++i)
            brush.lineTo(QPointF(c.width() * (0.2 + 0.6 * i / 20.0), c.height() * (0.75 - 0.1 * std::sin(i / 3.0))));
        doc->endStroke(brush.end());
        auto person = dit::ui::standing_person(c, 0.5, 0.7);
        person.body[dit::studio::kRightWrist] = {float(c.width() * 0.28), float(c.height() * 0.2), true};
        person.body[dit::studio::kRightElbow] = {float(c.width() * 0.36), float(c.height() * 0.33), true};
        doc->addPerson(person);
        // A regional prompt painted at the top left, as the region editor does it.
        const quint32 region = doc->addRegion(QStringLiteral("a red circle"), QColor(255, 80, 80));
        QImage& rmask = doc->beginStroke({dit::studio::Document::PaintTarget::Region, region});
        brush.setSize(c.width() / 3.0);
        brush.setHardness(0.7);
        brush.begin(&rmask, QPointF(c.width() * 0.25, c.height() * 0.25));
        doc->endStroke(brush.end(), QObject::tr("Paint region"));
    }
    for (const QString& f : cli.positionalArguments()) window.openFile(f);
    window.show();
    if (options.autosave)
        QTimer::singleShot(0, &window, [&] { window.offerRecovery(/*ask=*/!cli.isSet(recover)); });

    if (cli.isSet(shot)) {
        const QString file = cli.value(shot);
        auto grab_and_quit = [&window, file] {
            // Let the last repaint land before grabbing.
            QTimer::singleShot(300, &window, [&window, file] {
                const bool ok = window.grab().save(file);
                std::fprintf(ok ? stdout : stderr, "dit-studio: %s %s\n", ok ? "saved" : "could not save",
                             qPrintable(file));
                window.worker()->cancelAll();
                QCoreApplication::exit(ok ? 0 : 1);
            });
        };
        if (cli.isSet(shot_step)) {
            const int at = cli.value(shot_step).toInt();
            auto fired = std::make_shared<bool>(false);
            QObject::connect(window.worker(), &dit::studio::GenerationWorker::preview, &window,
                             [=](quint64, const QImage&, int step) {
                                 if (step < at || *fired) return;
                                 *fired = true;
                                 grab_and_quit();
                             });
        } else {
            QObject::connect(&window, &dit::ui::MainWindow::generationEnded, &window,
                             [=](quint64) { grab_and_quit(); });
        }
    }
    if (cli.isSet(generate) || cli.isSet(shot)) QTimer::singleShot(200, &window, [&] { window.generate(); });
    return app.exec();
}
