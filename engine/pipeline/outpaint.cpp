#include "engine/pipeline/outpaint.h"

#include <algorithm>
#include <sstream>

#include "engine/error.h"

namespace dit {

Outpaint parse_outpaint(const std::string& spec) {
    Outpaint o;
    bool seen[4] = {};
    std::stringstream ss(spec);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto eq = item.find('=');
        const std::string side = item.substr(0, eq);
        const char* names[] = {"left", "right", "top", "bottom"};
        int* fields[] = {&o.left, &o.right, &o.top, &o.bottom};
        const auto at = std::find(std::begin(names), std::end(names), side);
        if (eq == std::string::npos || at == std::end(names))
            throw Error("outpaint: '" + item + "' is not SIDE=PIXELS with SIDE one of left, right, top, bottom");
        const size_t i = size_t(at - std::begin(names));
        if (seen[i]) throw Error("outpaint: field '" + side + "' is given twice");
        seen[i] = true;
        const std::string value = item.substr(eq + 1);
        size_t used = 0;
        int px = -1;
        try {
            px = std::stoi(value, &used);
        } catch (const std::exception&) {
        }
        if (value.empty() || used != value.size() || px < 0 || px > 4096)
            throw Error("outpaint: field '" + side + "': '" + value + "' is not a whole number of pixels in [0, 4096]");
        *fields[i] = px;
    }
    if (o.empty()) throw Error("outpaint: nothing to add (give e.g. left=64,right=64)");
    return o;
}

Outpaint round_outpaint(const Outpaint& o, int width, int height, int multiple) {
    Outpaint r = o;
    auto grow = [multiple](int size, int& a, int& b) {
        // Each growing side up to the next multiple, so a side asked for in multiples stays as
        // asked; a picture that is itself no multiple gets the rest on the far side.
        auto up = [multiple](int v) { return (v + multiple - 1) / multiple * multiple; };
        a = up(a);
        b = up(b);
        const int extra = (multiple - (size + a + b) % multiple) % multiple;
        (b || !a ? b : a) += extra;
    };
    grow(width, r.left, r.right);
    grow(height, r.top, r.bottom);
    return r;
}

Image extend_image(const Image& img, const Outpaint& o) {
    if (img.empty()) throw Error("outpaint: there is no picture to extend");
    Image out;
    out.width = img.width + o.left + o.right;
    out.height = img.height + o.top + o.bottom;
    out.rgb.resize(size_t(out.width) * out.height * 3);
    for (int y = 0; y < out.height; ++y) {
        const int sy = std::clamp(y - o.top, 0, img.height - 1);
        for (int x = 0; x < out.width; ++x) {
            const int sx = std::clamp(x - o.left, 0, img.width - 1);
            std::copy_n(&img.rgb[(size_t(sy) * img.width + sx) * 3], 3, &out.rgb[(size_t(y) * out.width + x) * 3]);
        }
    }
    return out;
}

Mask outpaint_mask(int width, int height, const Outpaint& o) {
    Mask m;
    m.width = width + o.left + o.right;
    m.height = height + o.top + o.bottom;
    m.value.assign(size_t(m.width) * m.height, 255);
    for (int y = o.top; y < o.top + height; ++y)
        std::fill_n(&m.value[size_t(y) * m.width + o.left], width, uint8_t(0));
    return m;
}

void apply_outpaint(Request& r, const Image& picture, const Outpaint& o, bool keep_strength) {
    r.init_image = extend_image(picture, o);
    r.mask = outpaint_mask(picture.width, picture.height, o);
    r.width = r.init_image->width;
    r.height = r.init_image->height;
    if (!keep_strength) r.strength = 1.0f;
}

}  // namespace dit
