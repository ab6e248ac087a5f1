#include "ui/generation_panel.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QToolButton>

#include "studio/model/backends.h"
#include "studio/model/model_components.h"
#include "studio/model/model_defaults.h"
#include "ui/controls_editor.h"

namespace dit::ui {

using studio::Document;
using studio::GenerationMode;
using studio::GenerationSettings;
using studio::InpaintMode;

GenerationPanel::GenerationPanel(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    auto* model_row = new QHBoxLayout;
    model_ = new QLineEdit(this);
    model_->setPlaceholderText(tr("diffusers PixArt folder"));
    model_->setToolTip(tr("The model: a diffusers folder (model_index.json, transformer/, vae/, ...). "
                          "Another model brings its own recommended size, steps, sampler and CFG."));
    auto* browse = new QToolButton(this);
    browse->setText(tr("…"));
    browse->setToolTip(tr("Choose the model folder; its recommended settings come with it"));
    model_row->addWidget(model_, 1);
    model_row->addWidget(browse);
    form->addRow(tr("Model"), model_row);
    components_ = new QLabel(this);
    components_->setWordWrap(true);
    components_->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(QString(), components_);

    mode_ = new QComboBox(this);
    mode_->addItems({tr("txt2img"), tr("img2img"), tr("inpaint")});
    mode_->setToolTip(tr("inpaint regenerates where the mask is painted and keeps the rest of the image"));
    auto* inpaint_row = new QHBoxLayout;
    inpaint_mode_ = new QComboBox(this);
    inpaint_mode_->addItems({tr("full"), tr("crop"), tr("lazy")});
    inpaint_mode_->setToolTip(tr("full: the whole image each step; crop: the mask's box with context, at "
                                 "the model's size; lazy: only the masked tokens (cost follows the mask area)"));
    lazy_refresh_ = new QSpinBox(this);
    lazy_refresh_->setRange(1, 1000);
    lazy_refresh_->setPrefix(tr("refresh "));
    lazy_refresh_->setToolTip(tr("lazy: recompute the kept tokens' keys/values every k steps"));
    inpaint_row->addWidget(inpaint_mode_, 1);
    inpaint_row->addWidget(lazy_refresh_, 1);
    form->addRow(tr("Mode"), mode_);
    form->addRow(tr("Inpaint"), inpaint_row);

    sampler_ = new QComboBox(this);
    for (const char* s : {"dpm++2m", "ddim", "euler", "euler_a", "lcm", "flow_euler", "scm"})
        sampler_->addItem(QString::fromLatin1(s), QString::fromLatin1(s));
    sampler_->setToolTip(tr("The sampler: dpm++2m is PixArt's default; lcm is for 4-step distilled models"));
    form->addRow(tr("Sampler"), sampler_);

    steps_ = new QSpinBox(this);
    steps_->setRange(1, 1000);
    steps_->setToolTip(tr("Denoising steps: more is slower and usually cleaner (the model's recommendation is the default)"));
    form->addRow(tr("Steps"), steps_);
    batch_ = new QSpinBox(this);
    batch_->setRange(1, 64);
    batch_->setToolTip(tr("Images per Generate, seeds seed, seed + 1, …; the first lands on the canvas, "
                          "all go to the gallery to pick from"));
    form->addRow(tr("Batch"), batch_);

    cfg_ = new QDoubleSpinBox(this);
    cfg_->setRange(0, 30);
    cfg_->setSingleStep(0.5);
    cfg_->setDecimals(1);
    cfg_->setToolTip(tr("Classifier-free guidance; 1 or less runs the prompt branch only"));
    form->addRow(tr("CFG"), cfg_);

    auto* seed_row = new QHBoxLayout;
    seed_ = new QLineEdit(this);
    seed_->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("\\d{1,19}")), seed_));
    seed_->setToolTip(tr("The same seed with the same settings makes the same image"));
    random_ = new QCheckBox(tr("Random"), this);
    random_->setToolTip(tr("Draw a new seed for every generation"));
    auto* dice = new QToolButton(this);
    dice->setText(tr("New"));
    dice->setToolTip(tr("Draw a new fixed seed"));
    seed_row->addWidget(seed_, 1);
    seed_row->addWidget(random_);
    seed_row->addWidget(dice);
    form->addRow(tr("Seed"), seed_row);

    auto* size_row = new QHBoxLayout;
    width_ = new QSpinBox(this);
    height_ = new QSpinBox(this);
    for (QSpinBox* s : {width_, height_}) {
        s->setRange(16, 2048);
        s->setSingleStep(16);  // multiples of 8 (VAE) x 2 (patch size)
        s->setSuffix(tr(" px"));
        s->setToolTip(tr("The image size, a multiple of 16; opening an image sets it to the image's size"));
    }
    size_row->addWidget(width_, 1);
    size_row->addWidget(new QLabel(QStringLiteral("×"), this));
    size_row->addWidget(height_, 1);
    form->addRow(tr("Size"), size_row);

    strength_ = new QDoubleSpinBox(this);
    strength_->setRange(0.0, 1.0);
    strength_->setSingleStep(0.05);
    strength_->setDecimals(2);
    strength_label_ = new QLabel(tr("Strength"), this);
    form->addRow(strength_label_, strength_);

    backend_ = new QComboBox(this);
    // The GPU only where one can run; "auto" picks it then and the CPU otherwise.
    for (const auto& b : studio::backend_choices()) backend_->addItem(b.label, b.id);
    backend_->setToolTip(tr("Where the model runs"));
    form->addRow(tr("Backend"), backend_);
    low_vram_ = new QCheckBox(tr("Low memory"), this);
    low_vram_->setToolTip(tr("The text encoder's weights leave memory block by block as it runs: on a GPU "
                             "T5-XXL needs ~0.4 GB there instead of ~9.5 GB, on the CPU its weights are not "
                             "resident while the transformer runs. The same image; the prompt is slower the next time"));
    form->addRow(QString(), low_vram_);
    auto* cache_row = new QHBoxLayout;
    step_cache_ = new QCheckBox(tr("Skip steps"), this);
    step_cache_->setToolTip(tr("Step caching (TeaCache): a step whose input barely changed since the model last "
                               "ran reuses that run's change instead of running the model. Faster, slightly "
                               "different image; not with lazy inpainting"));
    cache_threshold_ = new QDoubleSpinBox(this);
    cache_threshold_->setRange(0.0, 2.0);
    cache_threshold_->setSingleStep(0.05);
    cache_threshold_->setDecimals(3);
    cache_threshold_->setPrefix(tr("threshold "));
    cache_threshold_->setToolTip(tr("The accumulated relative change under which steps are skipped: higher skips "
                                    "more; 0 skips none"));
    cache_row->addWidget(step_cache_);
    cache_row->addWidget(cache_threshold_, 1);
    form->addRow(tr("Step cache"), cache_row);
    v->addLayout(form);

    auto* controls = new QGroupBox(tr("Controls (pose, edges)"), this);
    auto* cl = new QVBoxLayout(controls);
    controls_ = new ControlsEditor(controls);
    cl->addWidget(controls_);
    v->addWidget(controls);

    v->addStretch();

    connect(browse, &QToolButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder"), model_->text());
        if (!dir.isEmpty()) {
            model_->setText(dir);
            chooseModel(dir);
        }
    });
    connect(model_, &QLineEdit::editingFinished, this, [this] { chooseModel(model_->text()); });
    connect(mode_, &QComboBox::currentIndexChanged, this, [this](int i) {
        change(tr("mode"), [&](GenerationSettings& s) { s.mode = GenerationMode(i); });
    });
    connect(inpaint_mode_, &QComboBox::currentIndexChanged, this, [this](int i) {
        change(tr("inpaint mode"), [&](GenerationSettings& s) { s.inpaint_mode = InpaintMode(i); });
    });
    connect(lazy_refresh_, &QSpinBox::valueChanged, this, [this](int n) {
        change(tr("lazy refresh"), [&](GenerationSettings& s) { s.lazy_refresh = n; });
    });
    connect(sampler_, &QComboBox::currentIndexChanged, this, [this](int) {
        change(tr("sampler"), [&](GenerationSettings& s) { s.sampler = sampler_->currentData().toString(); });
    });
    connect(backend_, &QComboBox::currentIndexChanged, this, [this](int) {
        change(tr("backend"), [&](GenerationSettings& s) { s.backend = backend_->currentData().toString(); });
    });
    connect(low_vram_, &QCheckBox::toggled, this, [this](bool on) {
        change(tr("low VRAM"), [&](GenerationSettings& s) { s.low_vram = on; });
    });
    connect(step_cache_, &QCheckBox::toggled, this, [this](bool on) {
        change(tr("step cache"), [&](GenerationSettings& s) {
            s.cache = studio::cache_setting(on ? cache_threshold_->value() : -1.0);
        });
    });
    connect(cache_threshold_, &QDoubleSpinBox::valueChanged, this, [this](double t) {
        change(tr("step cache threshold"), [&](GenerationSettings& s) { s.cache = studio::cache_setting(t); });
    });
    connect(steps_, &QSpinBox::valueChanged, this, [this](int n) {
        change(tr("steps"), [&](GenerationSettings& s) { s.steps = n; });
    });
    connect(batch_, &QSpinBox::valueChanged, this, [this](int n) {
        change(tr("batch"), [&](GenerationSettings& s) { s.batch = n; });
    });
    connect(cfg_, &QDoubleSpinBox::valueChanged, this, [this](double x) {
        change(tr("CFG"), [&](GenerationSettings& s) { s.cfg = x; });
    });
    connect(strength_, &QDoubleSpinBox::valueChanged, this, [this](double x) {
        if (doc_ && doc_->settings().mode == GenerationMode::Inpaint)
            change(tr("denoise"), [&](GenerationSettings& s) { s.denoise = x; });
        else
            change(tr("strength"), [&](GenerationSettings& s) { s.strength = x; });
    });
    connect(width_, &QSpinBox::valueChanged, this, [this](int n) {
        change(tr("width"), [&](GenerationSettings& s) { s.width = n; });
    });
    connect(height_, &QSpinBox::valueChanged, this, [this](int n) {
        change(tr("height"), [&](GenerationSettings& s) { s.height = n; });
    });
    connect(seed_, &QLineEdit::editingFinished, this, [this] {
        change(tr("seed"), [&](GenerationSettings& s) { s.seed = seed_->text().toULongLong(); });
    });
    connect(random_, &QCheckBox::toggled, this, [this](bool on) {
        change(tr("random seed"), [&](GenerationSettings& s) { s.random_seed = on; });
    });
    connect(dice, &QToolButton::clicked, this, [this] {
        const quint64 seed = QRandomGenerator::global()->generate64() >> 1;
        change(tr("seed"), [&](GenerationSettings& s) {
            s.seed = seed;
            s.random_seed = false;
        });
    });
}

void GenerationPanel::showComponents(const QString& dir) {
    const QList<studio::ModelComponent> parts = studio::model_components(dir);
    const QString family = studio::model_defaults(dir).family;
    components_->setText((family.isEmpty() ? QString() : family + QStringLiteral(" · ")) +
                         studio::describe_components(parts));
    QStringList tip;
    for (const auto& c : parts)
        tip << (c.problem.isEmpty() ? tr("%1: %2 (%3 bytes; tensors: %4)")
                                          .arg(c.name, QDir::toNativeSeparators(c.source)).arg(c.bytes).arg(c.types)
                                    : tr("%1: %2").arg(c.name, c.problem));
    components_->setToolTip(tip.join(QLatin1Char('\n')));
}

void GenerationPanel::chooseModel(const QString& dir) {
    if (!doc_ || dir == doc_->settings().model_dir) return;
    const studio::ModelDefaults d = studio::model_defaults(dir);
    change(tr("model"), [&](GenerationSettings& s) {
        s = studio::with_model_defaults(s, d);
        s.model_dir = dir;
    });
}

template <class F>
void GenerationPanel::change(const QString& field, F edit) {
    if (!doc_) return;
    GenerationSettings s = doc_->settings();
    edit(s);
    if (s == doc_->settings()) return;
    doc_->setSettings(s, field);
}

void GenerationPanel::setDocument(Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    doc_ = doc;
    if (doc_)
        connect(doc_, &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
            if (l == Document::Layer::Settings) pullFromDocument();
        });
    controls_->setDocument(doc);
    pullFromDocument();
}

void GenerationPanel::pullFromDocument() {
    if (!doc_) return;
    const GenerationSettings& s = doc_->settings();
    const QList<QWidget*> all = {model_, mode_, inpaint_mode_, lazy_refresh_, sampler_, backend_, steps_, batch_,
                                 cfg_, strength_, width_, height_, seed_, random_, low_vram_, step_cache_,
                                 cache_threshold_};
    for (QWidget* w : all) w->blockSignals(true);
    if (model_->text() != s.model_dir) model_->setText(s.model_dir);
    mode_->setCurrentIndex(int(s.mode));
    inpaint_mode_->setCurrentIndex(int(s.inpaint_mode));
    lazy_refresh_->setValue(s.lazy_refresh);
    const int si = sampler_->findData(s.sampler);
    if (si < 0) sampler_->addItem(s.sampler, s.sampler);  // a preset's sampler we don't list
    sampler_->setCurrentIndex(sampler_->findData(s.sampler));
    const int bi = backend_->findData(s.backend);
    if (bi < 0) backend_->addItem(s.backend, s.backend);
    backend_->setCurrentIndex(backend_->findData(s.backend));
    low_vram_->setChecked(s.low_vram);
    const double threshold = studio::cache_threshold(s.cache);
    step_cache_->setChecked(threshold >= 0);
    cache_threshold_->setValue(threshold >= 0 ? threshold : studio::kDefaultCacheThreshold);
    steps_->setValue(s.steps);
    batch_->setValue(s.batch);
    cfg_->setValue(s.cfg);
    const bool inpaint = s.mode == GenerationMode::Inpaint;
    strength_->setValue(inpaint ? s.denoise : s.strength);
    width_->setValue(s.width);
    height_->setValue(s.height);
    seed_->setText(QString::number(s.seed));
    random_->setChecked(s.random_seed);
    for (QWidget* w : all) w->blockSignals(false);
    // Inpaint re-runs this much of the schedule inside the mask: it is used, so it is editable.
    strength_->setEnabled(s.mode != GenerationMode::Txt2Img);
    strength_label_->setText(inpaint ? tr("Denoise") : tr("Strength"));
    strength_->setToolTip(inpaint ? tr("Inpaint: how much of the schedule is re-run inside the mask; 1 regenerates it from noise, "
                                       "less keeps more of what is there")
                                  : tr("img2img: the fraction of the schedule that is re-run; 1 ignores the image"));
    inpaint_mode_->setEnabled(s.mode == GenerationMode::Inpaint);
    lazy_refresh_->setEnabled(s.mode == GenerationMode::Inpaint && s.inpaint_mode == InpaintMode::Lazy);
    cache_threshold_->setEnabled(threshold >= 0);
    seed_->setEnabled(!s.random_seed);
    if (s.model_dir != last_model_dir_) {
        last_model_dir_ = s.model_dir;
        showComponents(s.model_dir);
        emit modelDirChanged(s.model_dir);
    }
}


}  // namespace dit::ui
