#include "studio/document/mask_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dit::studio {

namespace {

QImage gray(const QImage& m) {
    return m.format() == QImage::Format_Grayscale8 ? m : m.convertToFormat(QImage::Format_Grayscale8);
}

// out[x] = op over in[x - r .. x + r], positions outside the row ignored (`identity` stands in).
// Van Herk / Gil-Werman: prefix and suffix runs within blocks of 2r+1, so O(n) for any r.
template <class Op>
void window_1d(const uint8_t* in, uint8_t* out, int n, int r, Op op, uint8_t identity) {
    if (r == 0) {
        std::copy(in, in + n, out);
        return;
    }
    const int k = 2 * r + 1, len = n + 2 * r;
    thread_local std::vector<uint8_t> p, g, s;
    p.assign(len, identity);
    g.resize(len);
    s.resize(len);
    std::copy(in, in + n, p.begin() + r);
    for (int i = 0; i < len; ++i) g[i] = i % k == 0 ? p[i] : op(g[i - 1], p[i]);
    for (int i = len - 1; i >= 0; --i) s[i] = (i == len - 1 || (i + 1) % k == 0) ? p[i] : op(s[i + 1], p[i]);
    for (int x = 0; x < n; ++x) out[x] = op(s[x], g[x + 2 * r]);
}

// Grey-level morphology by a disc: for each row offset dy the disc is a horizontal segment of
// half-width floor(sqrt(r^2 - dy^2)), so the disc is a union of 1D windows on nearby rows.
template <class Op>
QImage morph(const QImage& src, int r, Op op, uint8_t identity) {
    const QImage m = gray(src);
    if (r <= 0 || m.isNull()) return m.copy();
    const int w = m.width(), h = m.height();
    QImage out(w, h, QImage::Format_Grayscale8);
    std::vector<int> half(r + 1);
    for (int dy = 0; dy <= r; ++dy) half[dy] = int(std::floor(std::sqrt(double(r) * r - double(dy) * dy)));
    std::vector<uint8_t> row(w);
    for (int y = 0; y < h; ++y) {
        uint8_t* o = out.scanLine(y);
        std::copy(m.constScanLine(y), m.constScanLine(y) + w, o);
        for (int dy = -r; dy <= r; ++dy) {
            const int yy = y + dy;
            if (yy < 0 || yy >= h) continue;
            window_1d(m.constScanLine(yy), row.data(), w, half[std::abs(dy)], op, identity);
            for (int x = 0; x < w; ++x) o[x] = op(o[x], row[x]);
        }
    }
    return out;
}

}  // namespace

bool any_painted(const QImage& mask) {
    for (int y = 0; y < mask.height(); ++y) {
        const uchar* row = mask.constScanLine(y);
        for (int x = 0; x < mask.width(); ++x)
            if (row[x]) return true;
    }
    return false;
}

QImage invert_mask(const QImage& mask) {
    QImage out = gray(mask).copy();
    for (int y = 0; y < out.height(); ++y) {
        uint8_t* p = out.scanLine(y);
        for (int x = 0; x < out.width(); ++x) p[x] = uint8_t(255 - p[x]);
    }
    return out;
}

QImage grow_mask(const QImage& mask, int px) {
    return morph(mask, px, [](uint8_t a, uint8_t b) { return std::max(a, b); }, uint8_t(0));
}

QImage shrink_mask(const QImage& mask, int px) {
    return morph(mask, px, [](uint8_t a, uint8_t b) { return std::min(a, b); }, uint8_t(255));
}

QImage feather_mask(const QImage& src, int px) {
    const QImage m = gray(src);
    if (px <= 0 || m.isNull()) return m.copy();
    const int w = m.width(), h = m.height();
    const double sigma = std::max(px / 3.0, 0.5);
    std::vector<float> k(2 * px + 1);
    double sum = 0;
    for (int i = -px; i <= px; ++i) sum += k[i + px] = float(std::exp(-0.5 * i * i / (sigma * sigma)));
    for (auto& v : k) v = float(v / sum);
    // Separable: rows into a float buffer, then columns; clamp-to-edge at the borders.
    std::vector<float> tmp(size_t(w) * h);
    for (int y = 0; y < h; ++y) {
        const uint8_t* in = m.constScanLine(y);
        for (int x = 0; x < w; ++x) {
            float acc = 0;
            for (int i = -px; i <= px; ++i) acc += k[i + px] * in[std::clamp(x + i, 0, w - 1)];
            tmp[size_t(y) * w + x] = acc;
        }
    }
    QImage out(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y) {
        uint8_t* o = out.scanLine(y);
        for (int x = 0; x < w; ++x) {
            float acc = 0;
            for (int i = -px; i <= px; ++i) acc += k[i + px] * tmp[size_t(std::clamp(y + i, 0, h - 1)) * w + x];
            o[x] = uint8_t(std::clamp(std::lround(acc), 0L, 255L));
        }
    }
    return out;
}

}  // namespace dit::studio
