#pragma once
// The studio's main window, laid out as Krita lays out a painting program: the canvas in the
// centre; the tool bar at its left edge (mask, edges, region, pose, eraser); the Generate bar at
// the top (Generate, Live, progress, ETA, Cancel: always in view, whatever the window's size);
// tool options and layers docked left, prompt and generation settings right, the gallery below.
// The layout is remembered from one start to the next.
//
// It owns the Document and the GenerationWorker and talks to the worker only through queued
// signals and thread-safe calls that return at once: the UI thread never waits on the engine.
// Every result goes into the per-user gallery the moment it arrives and into the document's
// results, which its project saves.
#include <QMainWindow>
#include <QPointer>
#include <QSet>
#include <map>
#include <memory>
#include <optional>

#include "studio/document/extend_canvas.h"
#include "studio/document/document.h"
#include "studio/generation_worker.h"
#include "studio/model/prompt_tokens.h"

class QAction;
class QCheckBox;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTimer;
class QToolBar;
class QUndoGroup;

namespace dit::studio {
class Autosaver;
class GalleryStore;
class RecoveryStore;
class RecentFiles;
}  // namespace dit::studio

namespace dit::ui {

class BrushOptions;
class ColourOptions;
class CanvasToolBar;
class CanvasView;
class GalleryPanel;
class GenerationPanel;
class LayersPanel;
class MaskPanel;
class PromptPanel;
class PosePanel;
class EdgesPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    struct Options {
        QString model_dir;          // empty: default_model_dir()
        std::optional<QSize> canvas;  // empty: the model's recommended size
        bool autosave = true;       // autosave into the recovery store and offer recovery on start
        int autosave_interval_s = 60;  // while there are unsaved edits
        bool remember_layout = true;   // restore and save the window's layout (QSettings)
        QString gallery_dir;        // empty: studio::GalleryStore::default_dir()
    };
    explicit MainWindow(const Options& options, QWidget* parent = nullptr);
    MainWindow() : MainWindow(Options{}) {}
    ~MainWindow() override;

    // The embedded default model (studio::default_model_dir); empty when none is found.
    static QString default_model_dir();

    dit::studio::Document* document() const { return doc_.get(); }
    dit::studio::GenerationWorker* worker() const { return worker_; }
    const dit::studio::GalleryStore* galleryStore() const { return gallery_.get(); }
    CanvasView* canvas() const { return canvas_; }
    CanvasToolBar* toolBar() const { return tools_; }
    BrushOptions* brushOptions() const { return brush_options_; }
    ColourOptions* colourOptions() const { return colour_options_; }
    PromptPanel* promptPanel() const { return prompt_; }
    GenerationPanel* generationPanel() const { return generation_; }
    GalleryPanel* galleryPanel() const { return gallery_panel_; }
    MaskPanel* maskPanel() const { return mask_; }
    LayersPanel* layersPanel() const { return layers_; }
    PosePanel* posePanel() const { return pose_; }
    EdgesPanel* edgesPanel() const { return edges_; }
    QPushButton* generateButton() const { return generate_; }
    QCheckBox* liveBox() const { return live_; }
    QProgressBar* progressBar() const { return progress_; }
    QPushButton* cancelButton() const { return cancel_; }
    QLabel* statusLabel() const { return status_; }
    QLabel* toolLabel() const { return tool_label_; }
    // Shown after opening a result PNG: restores its parameters when clicked.
    QPushButton* restoreOfferButton() const { return restore_offer_; }
    QAction* action(const QString& object_name) const;
    bool isGenerating() const { return !active_.isEmpty(); }

    // Restores prompt, negative prompt and settings from a request (one undo step). The model
    // folder is kept when the request names none; `mode_known` says init_image tells the mode.
    void restoreParameters(const dit::Request& request, bool mode_known);
    // Opens a project folder, or an image as the image layer (the generation size follows it).
    // A result PNG opens as its picture and offers its parameters (restoreOfferButton()).
    bool openFile(const QString& path);
    bool openImage(const QImage& image, const QString& what);
    bool openProject(const QString& folder);
    bool saveProject(const QString& folder);
    // File › New: asks to save unsaved work, then a blank canvas at the model's size; the model,
    // prompts and settings stay.
    bool newDocument(bool ask = true);
    // Outpainting: the canvas grown by `o` (rounded to multiples of 16), the new area masked,
    // inpaint at denoise 1 (Edit › Extend canvas…). A new document, as any canvas size change.
    bool extendCanvas(const dit::Outpaint& o);
    // Upscale and refine the image layer (Edit › Upscale and refine…) as a worker job; the result
    // lands in the gallery and on the canvas. Returns the job's id, 0 when refused.
    quint64 upscale(double scale, float strength, int tile = 0, int overlap = 0);
    // Writes the image layer (PNG, JPEG or WebP by the suffix); a PNG of a result the canvas
    // still shows unchanged keeps its parameters.
    bool exportImage(const QString& path);
    // Offers the newest autosave a crashed session left (ask: a Yes/No dialog; otherwise it is
    // restored at once). The restored document counts as unsaved and goes into this session's
    // autosave before the crashed sessions' are discarded, so neither a close nor a second
    // crash loses it.
    void offerRecovery(bool ask = true);
    // The default layout for the window's current size (View › Reset layout).
    void resetLayout();

public slots:
    void generate();
    // Live mode: the newest request supersedes the running one and drops the queued ones; the
    // seed stays fixed while live mode is on, so an edit changes the picture, not the noise.
    void generateLive();
    void cancelGeneration();
    // Makes the document's result `index` (Document::results()) the image layer.
    void applyResult(int index);

signals:
    // A result went into the results and onto the canvas.
    void resultApplied(quint64 id);
    void generationEnded(quint64 id);

protected:
    void closeEvent(QCloseEvent* e) override;
    void showEvent(QShowEvent* e) override;

private:
    // `selection`: inpaint the selection (Document::toInpaintSelectionRequest).
    void submit(bool live, bool selection = false);
    // The local worker, or the least busy of the remote queue's lanes (made on first use from the
    // saved settings). Live mode keeps to the first lane and cancels the others.
    dit::studio::GenerationWorker* workerFor(const std::string& backend, bool live = false);
    // The local worker and every remote lane.
    QList<dit::studio::GenerationWorker*> workers() const;
    void connectWorker(dit::studio::GenerationWorker* w);
    void editRemoteQueue();  // Generate › Remote queue…: URL and password
    void buildActions();     // main_window_actions.cpp
    void buildHelpMenu();    // main_window_actions.cpp
    void buildDocks();       // main_window_layout.cpp
    void buildBars();        // main_window_layout.cpp
    void saveLayout() const; // main_window_layout.cpp
    void restoreLayout();    // main_window_layout.cpp
    void buildStatusBar();
    void setDocument(std::unique_ptr<dit::studio::Document> doc);
    // Every view and panel reads the document afresh (a new document, or a new canvas size).
    void attachViews();
    // `resized` (studio/document/resize_canvas.h) becomes the document, one undo step.
    void resizeCanvas(dit::studio::DocumentState resized);
    // A result onto the canvas: a new layer `name` or the selected layer replaced (LayersPanel).
    void setImageLayer(const QImage& image, const QString& name);
    void loadTokens(const QString& model_dir);
    void showMessage(const QString& text, bool error = false);
    void updateBusy();
    void updateTitle();
    void updateToolLabel();
    void refreshRecentMenu();
    void refreshPresetMenu();
    void chooseMaskColour();
    // Unsaved work: asks Save / Discard / Cancel; true when it is fine to go on.
    bool maybeSave();
    void offerParameters(const dit::Request& request, const QString& from);
    // A gallery result as the image layer; as_init also switches to img2img.
    void useResult(const dit::studio::GalleryItem& item, bool as_init);
    void saveResultAs(const dit::studio::GalleryItem& item);

    void onStarted(quint64 id);
    void onProgress(quint64 id, int step, int steps, double seconds, double eta);
    void onPreview(quint64 id, const QImage& image, int step);
    void onFinished(const dit::studio::GenerationResult& result);
    void onFailed(quint64 id, const QString& message);
    void onCancelled(quint64 id);

    Options options_;
    std::unique_ptr<dit::studio::Document> doc_;
    dit::studio::GenerationWorker* worker_ = nullptr;
    // The "Remote queue" backend, once used: one lane per job the farm may run for this window
    // at once, so a queue of requests spreads over several of its workers.
    QList<dit::studio::GenerationWorker*> remote_;
    quint64 next_request_id_ = 1;  // ids are the window's, so the two workers' never collide
    std::unique_ptr<dit::studio::GalleryStore> gallery_;
    QUndoGroup* undo_group_ = nullptr;
    CanvasView* canvas_ = nullptr;
    CanvasToolBar* tools_ = nullptr;
    QToolBar* generate_bar_ = nullptr;
    BrushOptions* brush_options_ = nullptr;
    ColourOptions* colour_options_ = nullptr;
    QStackedWidget* tool_pages_ = nullptr;
    LayersPanel* layers_ = nullptr;
    MaskPanel* mask_ = nullptr;
    PromptPanel* prompt_ = nullptr;
    GenerationPanel* generation_ = nullptr;
    GalleryPanel* gallery_panel_ = nullptr;
    PosePanel* pose_ = nullptr;
    EdgesPanel* edges_ = nullptr;
    QList<QDockWidget*> docks_;
    QMenu *view_menu_ = nullptr, *recent_menu_ = nullptr, *preset_menu_ = nullptr;
    QLabel *status_ = nullptr, *eta_ = nullptr, *zoom_label_ = nullptr, *tool_label_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton *generate_ = nullptr, *cancel_ = nullptr, *restore_offer_ = nullptr;
    QCheckBox* live_ = nullptr;
    QAction *progress_action_ = nullptr, *eta_action_ = nullptr;
    bool shown_once_ = false;

    QSet<quint64> active_;  // submitted and not yet ended
    quint64 running_ = 0;
    QTimer* live_timer_ = nullptr;
    std::optional<quint64> live_seed_;  // drawn when live mode starts with a random seed
    std::optional<dit::Request> offered_;  // the opened result's parameters, until used
    std::optional<dit::studio::GalleryItem> shown_result_;  // the result the image layer is
    std::map<QString, std::shared_ptr<const dit::studio::PromptTokens>> tokens_;
    QString project_path_;
    std::unique_ptr<dit::studio::RecoveryStore> recovery_;
    std::unique_ptr<dit::studio::Autosaver> autosaver_;
    std::unique_ptr<dit::studio::RecentFiles> recent_;
};

}  // namespace dit::ui
