#pragma once
// Generation dock: model folder, mode (txt2img, img2img, inpaint with full/crop/lazy and the
// lazy refresh interval), sampler, steps, CFG, seed (fixed or random), size, img2img strength or
// inpaint denoise, and the controls list, bound to the document's GenerationSettings (each change
// one undo step; a spin-box drag merges). Choosing another model takes its recommended size,
// steps, sampler and guidance in the same step. What the engine cannot run is shown disabled
// with the reason, never faked. Generate itself is on the window's tool bar, always in view.
#include <QPointer>
#include <QWidget>

#include "studio/document/document.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace dit::ui {

class ControlsEditor;

class GenerationPanel : public QWidget {
    Q_OBJECT
public:
    explicit GenerationPanel(QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc);

    QLineEdit* modelEdit() const { return model_; }
    QComboBox* modeCombo() const { return mode_; }
    QComboBox* inpaintModeCombo() const { return inpaint_mode_; }
    QSpinBox* lazyRefreshSpin() const { return lazy_refresh_; }
    ControlsEditor* controlsEditor() const { return controls_; }
    QComboBox* samplerCombo() const { return sampler_; }
    QSpinBox* stepsSpin() const { return steps_; }
    QSpinBox* batchSpin() const { return batch_; }
    QDoubleSpinBox* cfgSpin() const { return cfg_; }
    QLineEdit* seedEdit() const { return seed_; }
    QCheckBox* randomSeedBox() const { return random_; }
    QSpinBox* widthSpin() const { return width_; }
    QSpinBox* heightSpin() const { return height_; }
    // img2img's strength, or inpaint's denoise (the label says which); disabled for txt2img.
    QDoubleSpinBox* strengthSpin() const { return strength_; }
    QLabel* strengthLabel() const { return strength_label_; }
    QCheckBox* lowVramBox() const { return low_vram_; }
    // Step caching: on/off and the TeaCache threshold (disabled while off).
    QCheckBox* stepCacheBox() const { return step_cache_; }
    QDoubleSpinBox* cacheThresholdSpin() const { return cache_threshold_; }
    // Under the model folder: each component's size and storage types (a quantized copy shows
    // Q8_0, Q4_K, F8_E4M3...); its tooltip names the files.
    QLabel* componentsLabel() const { return components_; }
    QComboBox* backendCombo() const { return backend_; }

signals:
    void modelDirChanged(const QString& dir);

private:
    void pullFromDocument();
    void chooseModel(const QString& dir);  // the folder, with its recommended settings
    void showComponents(const QString& dir);
    // Applies `edit` to a copy of the settings and records it under `field`.
    template <class F>
    void change(const QString& field, F edit);

    QPointer<dit::studio::Document> doc_;
    QString last_model_dir_;
    QLineEdit* model_;
    QComboBox *mode_, *inpaint_mode_, *sampler_, *backend_;
    QSpinBox *steps_, *width_, *height_, *lazy_refresh_, *batch_;
    ControlsEditor* controls_;
    QDoubleSpinBox *cfg_, *strength_, *cache_threshold_;
    QLineEdit* seed_;
    QCheckBox *random_, *low_vram_, *step_cache_;
    QLabel* strength_label_;
    QLabel* components_;
};

}  // namespace dit::ui
