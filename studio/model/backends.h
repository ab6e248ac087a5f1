#pragma once
// The compute backends a generation can run on here, as the settings name them and as a person
// reads them: the CPU always, the GPU only where one can run.
#include <QList>
#include <QString>

namespace dit::studio {

struct BackendChoice {
    QString id;     // the settings' and the engine's name: cpu, cpu-reference, cuda, auto, remote
    QString label;  // for a menu
};

QList<BackendChoice> backend_choices();

}  // namespace dit::studio
