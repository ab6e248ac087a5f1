// A region's prompt changes mostly its region, measured on the default model's world
// (studio/eval/regional_effect.h; issue 7): each case generated without and with a half-canvas
// region asking for one object, the mean pixel change inside vs outside the region.
//
// The default model is an early checkpoint (DiT step 600) that barely follows its captions, so
// the bounds are loose and the object-placement counts are printed, not asserted. Measured
// (seed 4, cases 0-3, cfg 4.5, dpm++2m, fast backend): one step 9.67 inside vs 4.55 outside
// (ratio 0.47); ten steps 5.07 vs 4.20 (0.83): self-attention and the sampler carry the change
// out of the region over the steps.
#include <QtTest>

#include "engine/pipeline/engine.h"
#include "studio/eval/regional_effect.h"
#include "studio/install_paths.h"

using namespace dit;
using namespace dit::studio;

namespace {

Request base_request(int steps) {
    Request r;
    r.model_dir = default_model_dir();
    r.width = r.height = 128;
    r.steps = steps;
    return r;
}

void print(const RegionalSummary& s) {
    for (const auto& c : s.cases)
        qInfo("  '%s' + region '%s': inside %.2f outside %.2f; object placed without %d with %d", c.spec.prompt.c_str(),
              c.spec.region_prompt.c_str(), c.change_inside, c.change_outside, int(c.placed(c.without)),
              int(c.placed(c.with)));
    qInfo("mean change inside %.2f outside %.2f (ratio %.3f); object placed %d/%zu with, %d/%zu without",
          s.change_inside, s.change_outside, s.outside_over_inside(), s.placed_with, s.cases.size(), s.placed_without,
          s.cases.size());
}

}  // namespace

class TestRegionalEffect : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        if (default_model_dir().empty()) QSKIP("no default model (resources/models/default)");
    }

    void cases_are_well_formed() {
        for (int i = 0; i < 4; ++i) {
            const RegionalCase c = regional_case(i, 128);
            QCOMPARE(c.region.width() * c.region.height(), 128 * 64);  // a half of the canvas
            QCOMPARE(int(c.expected.objects.size()), 1);
            const auto& o = c.expected.objects[0];
            QVERIFY2(c.region.contains(o.bbox.center().toPoint()), c.region_prompt.c_str());
            QVERIFY(world_colours_contrast(o.colour, c.expected.background));
        }
    }

    // One step: the change is the region's own cross-attention, decoded. Bound: outside at most
    // 0.7 x inside (measured 0.47).
    void one_step_change_stays_in_region() {
        Engine engine;
        const auto s = measure_regional_prompts(engine, base_request(1), 4, 4);
        print(s);
        QVERIFY(s.change_inside > 1.0);
        QVERIFY2(s.change_outside <= 0.7 * s.change_inside, "a one-step region change is not local");
    }

    // A whole (short) generation: inside must still change more than outside. Bound: ratio at
    // most 0.95 (measured 0.83).
    void generation_changes_region_most() {
        Engine engine;
        const auto s = measure_regional_prompts(engine, base_request(10), 4, 4);
        print(s);
        QVERIFY(s.change_inside > 1.0);
        QVERIFY2(s.outside_over_inside() <= 0.95, "the region's prompt changes the outside as much as the inside");
    }
};

QTEST_APPLESS_MAIN(TestRegionalEffect)
#include "test_regional_effect.moc"
