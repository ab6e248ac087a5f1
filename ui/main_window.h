#pragma once
// The studio's main window: the canvas in the centre, dock panels around it (layers, mask tools,
// prompt, generation, history), a status bar with progress, ETA and Cancel, and the menus and
// shortcuts. It owns the Document and the GenerationWorker and talks to the worker only through
// queued signals and thread-safe calls that return at once: the UI thread never waits on the
// engine.
#include <QMainWindow>
#include <QPointer>
#include <QSet>
#include <map>
#include <memory>

#include "engine/models/t5_tokenizer.h"
#include "studio/document/document.h"
#include "studio/generation_worker.h"

class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTimer;
class QUndoGroup;

namespace dit::studio {
class Autosaver;
class RecoveryStore;
class RecentFiles;
}  // namespace dit::studio

namespace dit::ui {

class CanvasView;
class GenerationPanel;
class HistoryPanel;
class LayersPanel;
class MaskPanel;
class PromptPanel;
class PosePanel;
class EdgesPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    struct Options {
        QString model_dir;      // empty: default_model_dir()
        QSize canvas{512, 512};
        bool autosave = true;   // autosave into the recovery store and offer recovery on start
        int autosave_interval_s = 60;  // while there are unsaved edits
    };
    explicit MainWindow(const Options& options, QWidget* parent = nullptr);
    MainWindow() : MainWindow(Options{}) {}
    ~MainWindow() override;

    // The embedded default model (studio::default_model_dir); empty when none is found.
    static QString default_model_dir();

    dit::studio::Document* document() const { return doc_.get(); }
    dit::studio::GenerationWorker* worker() const { return worker_; }
    CanvasView* canvas() const { return canvas_; }
    PromptPanel* promptPanel() const { return prompt_; }
    GenerationPanel* generationPanel() const { return generation_; }
    HistoryPanel* historyPanel() const { return history_; }
    MaskPanel* maskPanel() const { return mask_; }
    LayersPanel* layersPanel() const { return layers_; }
    PosePanel* posePanel() const { return pose_; }
    EdgesPanel* edgesPanel() const { return edges_; }
    QProgressBar* progressBar() const { return progress_; }
    QPushButton* cancelButton() const { return cancel_; }
    QLabel* statusLabel() const { return status_; }
    bool isGenerating() const { return !active_.isEmpty(); }

    // Restores prompt, negative prompt and settings from a request (one undo step). The model
    // folder is kept when the request names none; `mode_known` says init_image tells the mode.
    void restoreParameters(const dit::Request& request, bool mode_known);
    // Opens an image file as the image layer, or restores a result PNG's parameters.
    bool openFile(const QString& path);
    bool openProject(const QString& folder);
    bool saveProject(const QString& folder);
    // Offers the newest autosave a crashed session left (ask: a Yes/No dialog; otherwise it is
    // restored at once). The restored document counts as unsaved and goes into this session's
    // autosave before the crashed sessions' are discarded, so neither a close nor a second
    // crash loses it.
    void offerRecovery(bool ask = true);

public slots:
    void generate();
    // Live mode: the newest request supersedes the running one and drops the queued ones.
    void generateLive();
    void cancelGeneration();
    void applyResult(int history_index);

signals:
    // A result went into the history and onto the canvas.
    void resultApplied(quint64 id);
    void generationEnded(quint64 id);

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    void submit(bool live);
    void buildActions();
    void buildDocks();
    void buildStatusBar();
    void setDocument(std::unique_ptr<dit::studio::Document> doc);
    void resizeCanvas(QSize size);
    void setImageLayer(const QImage& image);
    void loadTokenizer(const QString& model_dir);
    void showMessage(const QString& text, bool error = false);
    void updateBusy();
    void updateTitle();
    void refreshRecentMenu();
    void refreshPresetMenu();

    void onStarted(quint64 id);
    void onProgress(quint64 id, int step, int steps, double seconds, double eta);
    void onPreview(quint64 id, const QImage& image, int step);
    void onFinished(const dit::studio::GenerationResult& result);
    void onFailed(quint64 id, const QString& message);
    void onCancelled(quint64 id);

    Options options_;
    std::unique_ptr<dit::studio::Document> doc_;
    dit::studio::GenerationWorker* worker_ = nullptr;
    QUndoGroup* undo_group_ = nullptr;
    CanvasView* canvas_ = nullptr;
    LayersPanel* layers_ = nullptr;
    MaskPanel* mask_ = nullptr;
    PromptPanel* prompt_ = nullptr;
    GenerationPanel* generation_ = nullptr;
    HistoryPanel* history_ = nullptr;
    PosePanel* pose_ = nullptr;
    EdgesPanel* edges_ = nullptr;
    QList<QDockWidget*> view_docks_;
    QMenu *view_menu_ = nullptr, *recent_menu_ = nullptr, *preset_menu_ = nullptr;
    QLabel *status_ = nullptr, *eta_ = nullptr, *zoom_label_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancel_ = nullptr;

    QSet<quint64> active_;  // submitted and not yet ended
    quint64 running_ = 0;
    QTimer* live_timer_ = nullptr;
    std::map<QString, std::pair<std::shared_ptr<const dit::T5Tokenizer>, int>> tokenizers_;
    QString project_path_;
    std::unique_ptr<dit::studio::RecoveryStore> recovery_;
    std::unique_ptr<dit::studio::Autosaver> autosaver_;
    std::unique_ptr<dit::studio::RecentFiles> recent_;
};

}  // namespace dit::ui
