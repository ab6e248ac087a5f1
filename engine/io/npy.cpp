#include "engine/io/npy.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "engine/error.h"
#include "engine/io/atomic_file.h"
#include "engine/io/half.h"

static_assert(std::endian::native == std::endian::little, "the .npy reader assumes a little-endian host");

namespace dit {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[] = "\x93NUMPY";  // 6 bytes, then major and minor version bytes

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }. This reads exactly that subset: quoted strings, True/False and tuples
// of integers.
class HeaderParser {
public:
    HeaderParser(const std::string& text, const std::string& where) : s_(text), where_(where) {}

    void parse(std::string& descr, bool& fortran, Shape& shape) {
        bool seen_descr = false, seen_order = false, seen_shape = false;
        expect('{');
        while (true) {
            skip_ws();
            if (peek() == '}') break;
            const std::string key = quoted();
            expect(':');
            skip_ws();
            if (key == "descr") {
                descr = quoted();
                seen_descr = true;
            } else if (key == "fortran_order") {
                fortran = boolean();
                seen_order = true;
            } else if (key == "shape") {
                shape = tuple();
                seen_shape = true;
            } else {
                fail("unknown header key '" + key + "'");
            }
            skip_ws();
            if (peek() == ',') ++i_;
            else if (peek() != '}') fail("expected ',' or '}' at header byte " + std::to_string(i_));
        }
        if (!seen_descr || !seen_order || !seen_shape)
            fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    }

private:
    const std::string& s_;
    const std::string& where_;
    size_t i_ = 0;

    [[noreturn]] void fail(const std::string& msg) const { throw Error(where_ + "bad .npy header: " + msg); }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void skip_ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n')) ++i_;
    }
    void expect(char c) {
        skip_ws();
        if (peek() != c) fail(std::string("expected '") + c + "' at header byte " + std::to_string(i_));
        ++i_;
    }
    std::string quoted() {
        skip_ws();
        const char q = peek();
        if (q != '\'' && q != '"') fail("expected a quoted string at header byte " + std::to_string(i_));
        const size_t end = s_.find(q, i_ + 1);
        if (end == std::string::npos) fail("unterminated string");
        std::string out = s_.substr(i_ + 1, end - i_ - 1);
        i_ = end + 1;
        return out;
    }
    bool boolean() {
        if (s_.compare(i_, 4, "True") == 0) return i_ += 4, true;
        if (s_.compare(i_, 5, "False") == 0) return i_ += 5, false;
        fail("'fortran_order' should be True or False");
    }
    Shape tuple() {
        expect('(');
        Shape out;
        while (true) {
            skip_ws();
            if (peek() == ')') break;
            size_t digits = 0;
            int64_t v = 0;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
                if (v > (INT64_MAX - 9) / 10) fail("shape dimension too large");
                v = v * 10 + (s_[i_++] - '0');
                ++digits;
            }
            if (!digits) fail("shape should be a tuple of non-negative integers");
            if (peek() == 'L') ++i_;  // Python 2 long suffix
            out.push_back(v);
            skip_ws();
            if (peek() == ',') ++i_;
            else if (peek() != ')') fail("expected ',' or ')' in shape");
        }
        ++i_;
        return out;
    }
};

}  // namespace

Tensor read_npy(const fs::path& path) {
    const std::string where = path.string() + ": ";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(where + (fs::exists(path) ? "cannot open the file" : "file not found"));
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string buf = ss.str();

    if (buf.size() < 10 || std::memcmp(buf.data(), kMagic, 6) != 0)
        throw Error(where + "not a .npy file (bad magic; expected \\x93NUMPY)");
    const int major = static_cast<uint8_t>(buf[6]), minor = static_cast<uint8_t>(buf[7]);
    size_t header_len = 0, header_start = 0;
    if (major == 1) {
        header_len = static_cast<uint8_t>(buf[8]) | (static_cast<size_t>(static_cast<uint8_t>(buf[9])) << 8);
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (buf.size() < 12) throw Error(where + "truncated .npy header");
        uint32_t n;
        std::memcpy(&n, buf.data() + 8, 4);
        header_len = n;
        header_start = 12;
    } else {
        throw Error(where + "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
    }
    if (header_len > buf.size() - header_start)
        throw Error(where + "truncated .npy header (" + std::to_string(header_len) + " bytes announced, " +
                    std::to_string(buf.size() - header_start) + " present)");
    const std::string header = buf.substr(header_start, header_len);

    std::string descr;
    bool fortran = false;
    Shape shape;
    HeaderParser(header, where).parse(descr, fortran, shape);
    if (fortran)
        throw Error(where + "arrays in Fortran order are not supported; save a C-order array "
                            "(np.ascontiguousarray)");
    size_t item = 0;
    if (descr == "<f4") item = 4;
    else if (descr == "<f8") item = 8;
    else if (descr == "<f2") item = 2;
    else throw Error(where + "unsupported dtype '" + descr + "' (expected little-endian float: '<f4', '<f8' or '<f2')");

    uint64_t numel = 1, bytes = 0;
    bool overflow = false;
    for (int64_t d : shape) overflow |= __builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel);
    overflow |= __builtin_mul_overflow(numel, item, &bytes);
    const size_t data_start = header_start + header_len;
    const uint64_t present = buf.size() - data_start;
    if (overflow || bytes > present)
        throw Error(where + "truncated data: shape " + shape_str(shape) + " of '" + descr + "' needs " +
                    (overflow ? std::string("more") : std::to_string(bytes)) + " bytes, the file holds " +
                    std::to_string(present));

    Tensor t(shape);
    const char* src = buf.data() + data_start;
    float* dst = t.data();
    for (uint64_t i = 0; i < numel; ++i) {
        if (item == 4) {
            std::memcpy(dst + i, src + 4 * i, 4);
        } else if (item == 8) {
            double d;
            std::memcpy(&d, src + 8 * i, 8);
            dst[i] = static_cast<float>(d);
        } else {
            uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            dst[i] = detail::half_to_float(h);
        }
    }
    return t;
}

void write_npy(const fs::path& path, const Tensor& t) {
    const std::string where = path.string() + ": ";
    if (t.empty() && t.numel() != 0) throw Error(where + "cannot write an empty tensor");
    std::string shape = "(";
    for (size_t i = 0; i < t.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape()[i]);
    if (t.shape().size() == 1) shape += ",";
    shape += ")";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    // NumPy aligns the data to 64 bytes: magic(6) + version(2) + length(2) + header + '\n'.
    header.append(63 - (10 + header.size()) % 64, ' ');
    header += '\n';
    if (header.size() > 65535) throw Error(where + "shape too long for a version 1.0 .npy header");

    AtomicFile out(path);
    const uint16_t n = static_cast<uint16_t>(header.size());
    out.write(kMagic, 6);
    out.write("\x01\x00", 2);
    out.write(&n, 2);
    out.write(header.data(), header.size());
    if (t.numel()) out.write(t.data(), size_t(t.numel()) * 4);
    out.commit();
}

}  // namespace dit
